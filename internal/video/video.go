// Package video is the provider-neutral model of the video meetings Convene
// attaches to bookings: the Meeting a provider reports (every detail DESIGN
// §2 step 5 names), the Spec the booking core asks for, the Provider
// interface that video/zoom and video/jitsi implement, and the typed errors
// callers decide on (retry later, tell the organizer, ask the admin to
// re-authorize).
//
// It is also the catalog of apps (Registry): one App entry per provider,
// which carries its authorization, its client's constructor, its Rules,
// its Webhook (decoding into neutral Events) and its DataUse facts. The
// rest of Convene knows providers only through it; README.md says how to
// add one.
//
// Zoom is the reference provider: the JSON form of Settings and Recurrence is
// Zoom's own (shared/zoom-api.md §1.4 and §1.5), so the HTTP API can show
// them as Zoom returned them and the Zoom client can send them unchanged.
// Settings fields are pointers so that "not set" and "false" (or 0, or "")
// differ: an update sends only what is set.
//
// Exactly-once creation is part of the interface: CreateOnce takes a
// CreateRef naming the booking side effect, and a provider must return the
// meeting an earlier, interrupted attempt with the same reference created
// instead of creating a second one (see the zoom package for how Zoom, which
// has no idempotency keys, does it).
//
// This package must never import store, web, booking, apps or any provider
// package: providers import it, not the other way round; the server
// registers them.
package video

import (
	"context"
	"time"
)

// Provider is a video-meeting service Convene creates meetings on. Host is
// the organizer's identity at the provider (for Zoom the organizer's e-mail
// address, or "me"); ids are the provider's meeting ids in string form.
//
// Errors wrap the sentinels and types of this package (ErrHostNotFound,
// ErrNotFound, *ValidationError, ErrUnauthorized, *RateLimitError, *Error);
// IsPermanent tells whether trying again later can help.
type Provider interface {
	// Name is the provider's short name as stored with a booking ("zoom",
	// "jitsi").
	Name() string

	// Create makes a meeting hosted by host. Retries inside one call never
	// create a second meeting, but a caller that retries after Create
	// returned an error must use CreateOnce.
	Create(ctx context.Context, host string, spec Spec) (*Meeting, error)

	// CreateOnce makes a meeting hosted by host unless an earlier call with
	// the same reference already did, in which case it returns that
	// meeting.
	CreateOnce(ctx context.Context, host string, spec Spec, ref CreateRef) (*Meeting, error)

	// Get returns the meeting with id; with occurrenceID, the details of
	// that occurrence of a recurring meeting.
	Get(ctx context.Context, id, occurrenceID string) (*Meeting, error)

	// Update changes the fields spec sets (zero fields stay as they are),
	// of the whole meeting or of one occurrence, and returns the meeting as
	// the provider has it afterwards.
	Update(ctx context.Context, id, occurrenceID string, spec Spec) (*Meeting, error)

	// Delete removes the meeting, or one occurrence of it. The provider
	// sends no cancellation mail of its own: Convene sends iTIP CANCEL. A
	// meeting that is already gone gives an error wrapping ErrNotFound,
	// which a caller retrying a delete treats as done.
	Delete(ctx context.Context, id, occurrenceID string) error

	// List returns host's unexpired scheduled meetings, with the fields a
	// provider's list carries (Zoom: no passwords, no settings).
	List(ctx context.Context, host string) ([]Meeting, error)

	// Invitation returns the provider's invitation text for the meeting.
	Invitation(ctx context.Context, id string) (*Invitation, error)
}

// MeetingType is the kind of a meeting, numbered as Zoom numbers them
// (zoom-api.md §1.3, §1.7).
type MeetingType int

// Meeting types.
const (
	Instant              MeetingType = 1  // starts now, no start time; Zoom does not list them
	Scheduled            MeetingType = 2  // one meeting at a start time
	RecurringNoFixedTime MeetingType = 3  // recurring, no start time
	PersonalMeeting      MeetingType = 4  // the host's PMI meeting (Get only)
	RecurringFixedTime   MeetingType = 8  // recurring at a fixed time: see Recurrence
	ScreenShareOnly      MeetingType = 10 // Zoom's screen-share-only meeting
)

// Meeting is a video meeting as its provider reports it. Optional details
// are optional: a provider or a Zoom plan may omit the password, the start
// URL or the settings, and such fields are then empty.
type Meeting struct {
	Provider          string          `json:"provider"`                     // "zoom", "jitsi"
	ID                string          `json:"id"`                           // meeting number (Zoom's int64 in decimal) or room name
	UUID              string          `json:"uuid,omitempty"`               // Zoom's per-instance id, e.g. "aDYlohsHRtCd4ii1uC2+hA=="
	HostID            string          `json:"host_id,omitempty"`            // provider's user id of the host
	HostEmail         string          `json:"host_email,omitempty"`         // host's e-mail address
	Topic             string          `json:"topic"`                        // title
	Type              MeetingType     `json:"type"`                         // kind
	Status            string          `json:"status,omitempty"`             // Zoom: "waiting" or "started"
	StartTime         time.Time       `json:"start_time,omitzero"`          // in UTC; zero for instant and type 3 meetings
	Duration          int             `json:"duration"`                     // minutes
	Timezone          string          `json:"timezone,omitempty"`           // IANA zone the meeting was scheduled in
	Password          string          `json:"password,omitempty"`           // passcode; empty when none or not disclosed
	H323Password      string          `json:"h323_password,omitempty"`      // passcode for H.323/SIP room systems
	PSTNPassword      string          `json:"pstn_password,omitempty"`      // passcode for telephone dial-in
	EncryptedPassword string          `json:"encrypted_password,omitempty"` // the pwd= value of join links
	JoinURL           string          `json:"join_url"`                     // link for participants
	StartURL          string          `json:"start_url,omitempty"`          // link for the host; Zoom's expires after 2 hours
	RegistrationURL   string          `json:"registration_url,omitempty"`   // when registration is on
	Invitation        string          `json:"invitation,omitempty"`         // provider's invitation text (see Provider.Invitation)
	SIPLinks          []string        `json:"sip_links,omitempty"`          // SIP addresses from the invitation
	Agenda            string          `json:"agenda,omitempty"`             // description; Zoom's list truncates it to 250 characters
	CreatedAt         time.Time       `json:"created_at,omitzero"`          // in UTC
	PMI               string          `json:"pmi,omitempty"`                // personal meeting id when the meeting uses it
	AssistantID       string          `json:"assistant_id,omitempty"`       // user who scheduled on the host's behalf
	Occurrences       []Occurrence    `json:"occurrences,omitempty"`        // recurring meetings only
	Recurrence        *Recurrence     `json:"recurrence,omitempty"`         // recurring meetings only
	Settings          Settings        `json:"settings"`                     // options as the provider returned them
	TrackingFields    []TrackingField `json:"tracking_fields,omitempty"`    // Zoom account tracking fields
}

// Occurrence is one instance of a recurring meeting (zoom-api.md §1.6).
type Occurrence struct {
	ID        string    `json:"occurrence_id"` // Zoom: start in Unix milliseconds, e.g. "1648194360000"
	StartTime time.Time `json:"start_time"`    // in UTC
	Duration  int       `json:"duration"`      // minutes
	Status    string    `json:"status"`        // "available" or "deleted"
}

// Occurrence statuses.
const (
	OccurrenceAvailable = "available"
	OccurrenceDeleted   = "deleted"
)

// TrackingField is a label/value pair of the Zoom account's tracking fields
// (zoom-api.md §1.3).
type TrackingField struct {
	Field   string `json:"field"`
	Value   string `json:"value,omitempty"`
	Visible *bool  `json:"visible,omitempty"` // response only
}

// Invitation is a provider's invitation text for a meeting
// (zoom-api.md §1.11).
type Invitation struct {
	Text     string   `json:"invitation"` // lines end in CRLF
	SIPLinks []string `json:"sip_links,omitempty"`
}

// Spec is what the booking core asks of a provider when it creates or
// updates a meeting. For an update, zero fields (and nil pointers) stay as
// they are; for a create they take the provider's defaults (Zoom: the host's
// settings).
type Spec struct {
	Topic string      // title; Zoom allows 200 characters
	Type  MeetingType // zero: Scheduled

	// StartTime is the instant the meeting (or the first occurrence)
	// starts, in any location: providers send it in UTC. Zero: not set.
	StartTime time.Time
	Duration  int    // minutes; zero: not set
	Timezone  string // IANA zone of the organizer, e.g. "Europe/Paris"; empty: StartTime's location when it is a named zone

	Recurrence      *Recurrence // for RecurringFixedTime and RecurringNoFixedTime
	Password        *string     // passcode; Zoom allows 10 of [A-Za-z0-9@_*-]
	DefaultPassword *bool       // Zoom: generate a passcode from the host's settings
	Agenda          *string     // description; Zoom allows 2,000 characters
	ScheduleFor     string      // Zoom: schedule on behalf of this user
	TemplateID      string      // Zoom: account meeting template
	PreSchedule     *bool       // Zoom: Google Workspace add-on pre-scheduling
	TrackingFields  []TrackingField

	// Settings override the host's defaults: only set fields are sent.
	Settings Settings

	// UID is the meeting's iCalendar UID, the one Convene's invitations
	// carry. A provider whose meeting is an event of the host's calendar
	// (App.VideoIsEvent: Google Meet) gives the event this UID, so that
	// calendar clients see the event and the invitations as one meeting,
	// never two. Others ignore it.
	UID string
}

// CreateRef names one meeting-creation side effect so that CreateOnce can
// recognise an earlier attempt's meeting.
type CreateRef struct {
	// Key identifies the side effect, e.g. the outbox job id. The same key
	// must be passed on every attempt. Providers that can carry it (Jitsi
	// derives its room name from it) do; Zoom uses it in error messages.
	Key string

	// Since is the time the first attempt with this key started, or
	// earlier (the outbox row's creation time is a good value). Zero means
	// this call is the first attempt: nothing can exist yet. With a
	// non-zero Since, a provider looks for an earlier attempt's meeting
	// before it creates one.
	Since time.Time

	// Exclude, if not nil, reports meeting ids that belong to other
	// bookings and so can never be this side effect's meeting.
	Exclude func(id string) bool

	// Posted is when the latest earlier attempt with this key sent its
	// create request, as Posting recorded it; zero: none was sent. Such a
	// request may still complete at the provider until Posted plus the
	// provider's CreateWindow: until then a provider that finds no meeting
	// must not send another create, and answers an *InFlightError instead.
	Posted time.Time

	// Posting, if not nil, is called right before each create request
	// leaves, with the time; the caller records that time durably (it is
	// the next attempt's Posted, even if this process dies before the
	// answer). An error stops the create before anything is sent.
	Posting func(ctx context.Context, at time.Time) error

	// Refused, if not nil, is called when the provider itself refused a
	// create request (an error answer of its own): it made nothing and is
	// no longer in flight. A caller that knows no other request is open
	// passes a zero Posted next time.
	Refused func(ctx context.Context) error
}

// Duplicates is implemented by providers whose create requests can take
// effect after the attempt that sent them gave up or died (Zoom), so that a
// second meeting may appear although CreateOnce never posts blindly. The
// booking core finds and deletes such duplicates once every create it sent
// can no longer complete.
type Duplicates interface {
	// CreateWindow bounds a create request: one sent at t has taken effect
	// by t + CreateWindow() or never will.
	CreateWindow() time.Duration

	// Duplicates returns the meetings of host that attempts of ref's create
	// of spec made (the fingerprint CreateOnce looks for, created since
	// ref.Since), except keep and the ids ref.Exclude reports.
	Duplicates(ctx context.Context, host string, spec Spec, ref CreateRef, keep string) ([]Meeting, error)
}

// String returns a pointer to s, for settings and specs built in code.
func String(s string) *string { return &s }

// Bool returns a pointer to b, for settings and specs built in code.
func Bool(b bool) *bool { return &b }

// Int returns a pointer to i, for settings and specs built in code.
func Int(i int) *int { return &i }
