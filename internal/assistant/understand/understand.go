package understand

import (
	"encoding/json"
	"time"
)

// Language is the language of a text: "en" or "fr".
type Language string

// The languages understood.
const (
	English Language = "en"
	French  Language = "fr"
)

// Context is what a text is read against. Nothing in it is read from the
// machine: the caller injects the clock and the zone.
type Context struct {
	// Now is the instant the text was written (an e-mail's arrival); the
	// relative expressions are taken from it. Required.
	Now time.Time
	// Zone is the --timezone of the request: the local calendar every
	// expression is resolved on (R1). Nil means UTC.
	Zone *time.Location
	// Language is a hint used when the text gives no evidence either way
	// ("15:30"); the detected language wins otherwise.
	Language Language
	// Options are the start times offered to a guest, in the order offered;
	// a reply that picks one ("option 2", "Thursday works", "jeudi 10h ça
	// me va") is matched against them.
	Options []time.Time
	// Mail says the text is an e-mail body (or its new text): rule 15
	// applies, so dates that are past, quoted, in a signature or next to a
	// distractor ("as discussed on Monday", "lands at 6:40pm") are not
	// taken for the proposed slot.
	Mail bool
	// Sender is the e-mail address of the author, left out of Attendees.
	Sender string
}

// Intent is what a message asks the assistant to do.
type Intent string

// The intents of a thread message.
const (
	IntentNone       Intent = ""           // nothing recognisable
	IntentNew        Intent = "new"        // a new meeting request
	IntentReschedule Intent = "reschedule" // move the meeting (Request holds the new time, if any)
	IntentCancel     Intent = "cancel"     // call the meeting off
	IntentShorten    Intent = "shorten"    // make it shorter (Request.Duration is the new length, if given)
	IntentLengthen   Intent = "lengthen"   // make it longer (Request.Duration is the new length, if given)
	IntentPick       Intent = "pick"       // a guest picks one of the offered options (Result.Option)
	IntentNoneWork   Intent = "none_work"  // none of the options work (Request may hold a new window)
	IntentDecline    Intent = "decline"    // the guest will not attend
	IntentAccept     Intent = "accept"     // the guest accepts or confirms
	IntentProvider   Intent = "provider"   // change the video provider only
)

// Window is a span to search for a time in: [From, To).
type Window struct {
	From, To time.Time
}

// Request is a structured meeting request: the same fields the API takes.
type Request struct {
	// Subject of the meeting; "" when the text names none.
	Subject string
	// Start is set for a point in time; End when a duration or an end is
	// given.
	Start, End time.Time
	// Window is set for a day, a range of days or a part of a day.
	Window *Window
	// Duration is the meeting length in minutes, 0 when not stated.
	Duration int
	// Zone is the zone the times are expressed in: Context.Zone unless the
	// text names another (R1).
	Zone *time.Location
	// Attendees are the e-mail addresses written in the text, in order.
	Attendees []string
	// Names are the people named in the text ("with Alice and Bob"), left
	// for the caller to resolve against the account's users.
	Names []string
	// VideoProvider is "zoom", "teams", "google_meet", "jitsi", "webex",
	// "none" (in person), or "" when the text asks for none.
	VideoProvider string
	// RRule is the recurrence rule (RFC 5545 §3.3.10), "" for a single
	// meeting.
	RRule string
	// Language of the text.
	Language Language
}

// HasTime reports whether the request says when: a start or a window.
func (r Request) HasTime() bool { return !r.Start.IsZero() || r.Window != nil }

// Ambiguity is a place where the conventions give a primary reading and an
// alternative (UNDERSTANDING.md: "ambiguous"); Request carries the primary.
type Ambiguity struct {
	// Rule is the convention that decided, e.g. "R4".
	Rule string
	// Reason says what was ambiguous, in English.
	Reason string
	// Alternative is the other reading, with the same fields as Request.
	Alternative Request
}

// Result is everything Parse understood of one text.
type Result struct {
	Request Request
	Intent  Intent
	// Option is the index in Context.Options of the option picked
	// (IntentPick), or -1.
	Option int
	// Ambiguities lists the alternatives of the primary reading.
	Ambiguities []Ambiguity
	// Confidence is between 0 and 1: 1 for a single unambiguous reading,
	// lower with ambiguities, competing candidates or nothing found.
	Confidence float64
}

// Contract is the JSON line of `convene understand` (DESIGN.md §4); unknown
// fields are null.
type Contract struct {
	Subject       *string             `json:"subject"`
	StartTime     *string             `json:"start_time"`
	EndTime       *string             `json:"end_time"`
	Window        *ContractWindow     `json:"window"`
	Duration      *int                `json:"duration"`
	Timezone      *string             `json:"timezone"`
	Attendees     []string            `json:"attendees"`
	VideoProvider *string             `json:"video_provider"`
	Recurrence    *ContractRecurrence `json:"recurrence"`
	Language      *string             `json:"language"`
}

// ContractWindow is the window of the JSON contract.
type ContractWindow struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ContractRecurrence is the recurrence of the JSON contract.
type ContractRecurrence struct {
	RRule string `json:"rrule"`
}

// Contract returns the request in the shape of the JSON contract: times in
// RFC 3339 with the offset in force in Zone at that time.
func (r Request) Contract() Contract {
	var c Contract
	str := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	c.Subject = str(r.Subject)
	if !r.Start.IsZero() {
		c.StartTime = str(r.Start.Format(time.RFC3339))
	}
	if !r.End.IsZero() {
		c.EndTime = str(r.End.Format(time.RFC3339))
	}
	if r.Window != nil {
		c.Window = &ContractWindow{From: r.Window.From.Format(time.RFC3339), To: r.Window.To.Format(time.RFC3339)}
	}
	if r.Duration > 0 {
		d := r.Duration
		c.Duration = &d
	}
	if r.Zone != nil {
		c.Timezone = str(r.Zone.String())
	}
	if len(r.Attendees) > 0 {
		c.Attendees = r.Attendees
	}
	c.VideoProvider = str(r.VideoProvider)
	if r.RRule != "" {
		c.Recurrence = &ContractRecurrence{RRule: r.RRule}
	}
	c.Language = str(string(r.Language))
	return c
}

// MarshalJSON writes the request as its JSON contract.
func (r Request) MarshalJSON() ([]byte, error) { return json.Marshal(r.Contract()) }
