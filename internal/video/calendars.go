package video

import (
	"context"
	"errors"
	"time"
)

// Calendars is an app's access to the calendars of the people of an install
// (Microsoft 365's Outlook calendars through Microsoft Graph, Google
// Calendar): App.Calendar connects it for one install. Users are named by
// e-mail address, in the managed domains the install was given; the
// provider maps them onto its own user ids.
//
// The calendar core keeps a copy of each such user's events in Convene's
// store, as iCalendar objects like a CalDAV source's (so the slot search,
// its budgets and the failure policy apply unchanged), kept fresh by
// Changes (delta queries, sync tokens) run when a Watch channel notifies
// and periodically; FreeBusy answers, in one call for many people, for
// users whose copy is not yet usable. Booking writes each meeting's event
// in the organizer's calendar with PutEvent and removes it with
// DeleteEvent.
//
// Errors wrap this package's sentinels and types: ErrUnauthorized (the
// install needs re-authorization), ErrHostNotFound (no such user at the
// provider), ErrNotFound, *RateLimitError, ErrSyncExpired, *Error.
type Calendars interface {
	// FreeBusy returns the busy time of each of users between from and
	// to, in one call where the provider allows (Graph getSchedule,
	// Google freebusy.query), several when users are more than one call
	// takes. A user the provider cannot answer for is in the result with
	// Err set; the others are still answered.
	FreeBusy(ctx context.Context, users []string, from, to time.Time) (map[string]FreeBusy, error)

	// Changes returns what changed in user's primary calendar since
	// cursor: every event when cursor is "" (a full sync, Full set), and
	// the cursor for the next call. Events between from and to at least
	// are included in a full sync (providers that sync by window use
	// them; others may return more). A cursor the provider no longer
	// honours gives an error wrapping ErrSyncExpired: the caller starts
	// again with "" and replaces its copy.
	Changes(ctx context.Context, user, cursor string, from, to time.Time) (*ChangeSet, error)

	// Watch asks the provider to notify address (Convene's public
	// /webhooks/{app} URL) when user's calendar changes, until the
	// channel expires; token is echoed back in each notification so that
	// the receiver can check it came from this watch.
	Watch(ctx context.Context, user, address, token string) (*Channel, error)

	// Renew extends a channel before it expires; providers that cannot
	// extend return a new channel (and the old one is stopped).
	Renew(ctx context.Context, ch Channel) (*Channel, error)

	// Unwatch stops a channel. A channel already gone is not an error.
	Unwatch(ctx context.Context, ch Channel) error

	// PutEvent creates the meeting's event in organizer's calendar, or
	// updates it when ev.ID is set. It is exactly once: a retry with the
	// same ev.Ref returns the event an interrupted attempt created.
	// Whether the provider mails the attendees is ev.Notify.
	PutEvent(ctx context.Context, organizer string, ev CalendarEvent) (*EventRef, error)

	// DeleteEvent removes the event (or the occurrence at occurrence, for
	// a series; zero: the whole event), telling attendees when notify is
	// set. An event already gone is not an error.
	DeleteEvent(ctx context.Context, organizer, id string, occurrence time.Time, notify bool) error

	// WorkingHours returns user's working hours and time zone as the
	// provider keeps them (Graph mailboxSettings); nil when the provider
	// keeps none.
	WorkingHours(ctx context.Context, user string) (*WorkingHours, error)
}

// ErrSyncExpired means a provider no longer honours a sync cursor (Graph's
// 410 syncStateNotFound, Google's 410 fullSyncRequired): sync again from
// the start.
var ErrSyncExpired = errors.New("video: the calendar's sync cursor expired; a full sync is needed")

// FreeBusy is one person's busy time as a provider reports it.
type FreeBusy struct {
	// Busy are the intervals the person is not free, in UTC, sorted;
	// the provider's statuses already mapped (which count as busy is the
	// provider package's documented decision).
	Busy []Interval
	// Tentative are intervals marked tentative, kept apart so that the
	// core can apply its own policy; they are not in Busy.
	Tentative []Interval
	// Err is why the provider could not answer for this person.
	Err error
}

// Interval is a span of time, Start inclusive and End exclusive.
type Interval struct {
	Start, End time.Time
}

// ChangeSet is what changed in a calendar since a cursor.
type ChangeSet struct {
	// Full: this is a full sync; objects not in Objects are gone.
	Full bool
	// Objects are the events changed or added, each as one iCalendar
	// object (a VCALENDAR with the VEVENTs of one UID: a series' master
	// and its exceptions), in the form the core stores for CalDAV
	// sources: TRANSP:TRANSPARENT for time shown as free, STATUS for
	// tentative and cancelled, the user's own ATTENDEE with
	// PARTSTAT=DECLINED for a declined invitation.
	Objects []RemoteObject
	// Removed are the provider ids of events deleted since the cursor.
	Removed []string
	// Cursor is the cursor of the next call.
	Cursor string
}

// RemoteObject is one event (with its series) of a provider's calendar.
type RemoteObject struct {
	// ID is the provider's id of the event (of the series' master for a
	// series): the object's name in Convene's copy.
	ID string
	// ICS is the iCalendar text (RFC 5545).
	ICS []byte
	// ETag is the provider's version of the event, when it has one.
	ETag string
}

// Channel is a provider's change-notification subscription.
type Channel struct {
	// ID is the provider's id of the channel (Graph subscription id,
	// Google channel id); Resource is what a provider needs besides it
	// to stop the channel (Google's resourceId).
	ID, Resource string
	// User is whose calendar is watched; Token the token given to Watch.
	User, Token string
	// Expires is when the provider stops notifying unless renewed.
	Expires time.Time
}

// CalendarEvent is a meeting as written in its organizer's calendar.
type CalendarEvent struct {
	// ID is the provider's id of an event written before; "" creates it.
	ID string
	// Ref names the booking side effect, for exactly-once creation.
	Ref CreateRef
	// UID is the meeting's iCalendar UID (the iTIP invitations' UID), so
	// that the event and Convene's invitations are one meeting for
	// calendar clients.
	UID                  string
	Subject, Description string
	Location             string
	Start, End           time.Time
	// TimeZone is the organizer's IANA zone the meeting was asked in.
	TimeZone string
	// RRule is the series' rule (RFC 5545 RECUR, without "RRULE:"), "" for
	// a single meeting; ExDates the occurrences removed.
	RRule   string
	ExDates []time.Time
	// Moved are the occurrences of the series that start at another
	// time than the rule gives them (RECURRENCE-ID overrides): each is
	// written as an exception of the provider's series, found by its
	// original start.
	Moved []MovedOccurrence
	// Attendees are the invitees' addresses and names.
	Attendees []Attendee
	// Notify: the provider sends its own invitations, updates and
	// cancellations to the attendees (the account's invitation mode is
	// "provider"); false: Convene sends them and the provider must not.
	Notify bool
	// JoinURL is the video meeting's link, written in the event; empty
	// when the event itself carries the provider's own meeting (Teams,
	// Meet), asked for with Conference.
	JoinURL string
	// Conference asks the provider to attach its own online meeting to
	// the event (Graph onlineMeetingProvider teamsForBusiness, Google
	// conferenceData.createRequest); its details come back in EventRef.
	Conference bool
}

// MovedOccurrence is one occurrence of a series moved to other times.
type MovedOccurrence struct {
	// Original is the start the series' rule gives it.
	Original time.Time
	// Start and End are its times now.
	Start, End time.Time
}

// Attendee is one invitee of a CalendarEvent.
type Attendee struct {
	Email, Name string
	// Optional marks an optional attendee.
	Optional bool
}

// EventRef is an event as the provider wrote it.
type EventRef struct {
	// ID is the provider's event id; ICalUID the UID it keeps (Graph
	// and Google may keep their own).
	ID, ICalUID string
	// WebURL opens the event at the provider, when it gives one.
	WebURL string
	// Meeting is the online meeting the provider attached (Conference),
	// in the neutral form of Zoom's: join URL, dial-in, conference id.
	Meeting *Meeting
}

// WorkingHours are a person's working hours as a provider keeps them.
type WorkingHours struct {
	// TimeZone is an IANA zone name (providers that keep Windows names
	// are mapped through CLDR's windowsZones).
	TimeZone string
	// Days are the working weekdays; Start and End the time of day, as
	// "15:04".
	Days       []time.Weekday
	Start, End string
}
