package assistant

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/store"
)

// The states of a thread (store.Thread.State):
//
//   - asking: no meeting yet; the organizer was asked what the request
//     lacks (who to invite, another window when nothing was free).
//   - proposed: options are out to the external guests; the meeting is a
//     proposal (booking's "proposed"), or a booked meeting being moved
//     (data.Moving).
//   - booked: the meeting is booked; the organizer may still change or
//     cancel it by mail, guests may decline.
//   - cancelled: nothing more happens.
const (
	stateAsking    = store.ThreadAsking
	stateProposed  = store.ThreadProposed
	stateBooked    = store.ThreadBooked
	stateCancelled = store.ThreadCancelled
)

// Questions the organizer may have been asked (data.Question); the
// organizer's next message in the thread is read as its answer.
const (
	askAttendees = "attendees" // who to invite
	askAmbiguous = "ambiguous" // which of several colleagues a name means
	askNoTime    = "no_time"   // nothing free in the window: another one?
	askSilent    = "silent"    // a guest does not answer: continue, new times or cancel?
	askDeclined  = "declined"  // a guest cannot come: continue, new times or cancel?
	askNoCommon  = "no_common" // every guest answered, no time suits all: which one?
	askCounter   = "counter"   // a guest proposed another time: move the meeting?
)

// Guest statuses.
const (
	guestWaiting  = "waiting"  // has the current options, has not answered
	guestAnswered = "answered" // accepted one or more of the current options
	guestDeclined = "declined" // cannot come
	guestDropped  = "dropped"  // the organizer went on without them
)

// slot is a time offered.
type slot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// window is a span searched for options.
type window struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// person is an invitee.
type person struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Internal bool   `json:"internal,omitempty"`
}

// label is how a person is named in mail: the name, else the address.
func (p person) label() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

// guest is an external attendee and where the negotiation with them
// stands.
type guest struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Language string `json:"language"`
	TimeZone string `json:"timezone"`
	Status   string `json:"status"`
	// Accepted are the indexes of the current options the guest accepted.
	Accepted []int `json:"accepted,omitempty"`
	// Sent is when the current options went out to the guest.
	Sent time.Time `json:"sent,omitempty"`
	// Reminded: the one reminder about the current options was sent.
	Reminded bool `json:"reminded,omitempty"`
	// Silent: the organizer was asked about this guest's silence.
	Silent bool `json:"silent,omitempty"`
	// Last is the Message-ID of the guest's last message in the thread.
	Last string `json:"last,omitempty"`
	// Words is what the guest last wrote that the assistant could not act
	// on alone (a decline's reason), for the organizer.
	Words string `json:"words,omitempty"`
}

func (g guest) label() string { return person{Email: g.Email, Name: g.Name}.label() }

// active reports whether the guest's answer is still awaited or counts.
func (g guest) active() bool { return g.Status == guestWaiting || g.Status == guestAnswered }

// counter is a guest's proposal of another time (iTIP COUNTER).
type counter struct {
	Email string `json:"email"`
	Start time.Time
	End   time.Time
}

// threadData is a thread's state besides its row: the request, the people
// and the options. It is stored as JSON (store.Thread.Data).
type threadData struct {
	Subject     string `json:"subject"`
	Topic       string `json:"topic,omitempty"` // message.ThreadSubject of the first message
	Description string `json:"description,omitempty"`
	Duration    int    `json:"duration,omitempty"` // minutes; 0: the organizer's default
	TimeZone    string `json:"timezone"`           // the meeting's zone
	Provider    string `json:"provider,omitempty"` // "", an app of the catalog ("zoom"), "none"
	// Language is the organizer's, for mail to them.
	Language string `json:"language"`
	// Start or Window is when the request asks for; RRule a series.
	Start  time.Time `json:"start,omitempty"`
	Window *window   `json:"window,omitempty"`
	RRule  string    `json:"rrule,omitempty"`
	// Attendees are everyone invited but the organizer; Guests the
	// external ones with their answers.
	Attendees []person `json:"attendees,omitempty"`
	Guests    []guest  `json:"guests,omitempty"`
	// Ambiguous are names several colleagues carry (askAmbiguous).
	Ambiguous []string `json:"ambiguous,omitempty"`
	// Unknown are names no colleague carries: told to the organizer.
	Unknown []string `json:"unknown,omitempty"`
	// AskedProvider is a provider asked for that Convene cannot use
	// (Teams, Meet, Webex): told to the organizer.
	AskedProvider string `json:"asked_provider,omitempty"`
	// Round counts the sets of options sent; Options are the current
	// ones, in the order offered.
	Round   int    `json:"round,omitempty"`
	Options []slot `json:"options,omitempty"`
	// Moving: the options are for moving a booked meeting.
	Moving bool `json:"moving,omitempty"`
	// Question is what the organizer was asked and has not answered.
	Question string   `json:"question,omitempty"`
	Counter  *counter `json:"counter,omitempty"`
	// Refs are the thread's Message-IDs, oldest first (at most maxRefs),
	// for the References of the assistant's mail; OrganizerLast is the
	// organizer's last message.
	Refs          []string `json:"refs,omitempty"`
	OrganizerLast string   `json:"organizer_last,omitempty"`
	// Booked is when the meeting was booked (or moved) by the assistant,
	// for the confirmation.
	Booked time.Time `json:"booked,omitempty"`
}

// maxRefs bounds the ids kept for References (the root and the latest).
const maxRefs = 20

// addRef records a Message-ID of the thread.
func (d *threadData) addRef(id string) {
	id = strings.Trim(strings.TrimSpace(id), "<>")
	if id == "" || slices.Contains(d.Refs, id) {
		return
	}
	d.Refs = append(d.Refs, id)
	if len(d.Refs) > maxRefs {
		d.Refs = append(d.Refs[:1], d.Refs[len(d.Refs)-maxRefs+1:]...)
	}
}

// guestIndex returns the index of the guest with address email, or -1.
func (d *threadData) guestIndex(email string) int {
	for i, g := range d.Guests {
		if strings.EqualFold(g.Email, email) {
			return i
		}
	}
	return -1
}

// attendee returns the invitee with address email.
func (d *threadData) attendee(email string) (person, bool) {
	for _, a := range d.Attendees {
		if strings.EqualFold(a.Email, email) {
			return a, true
		}
	}
	return person{}, false
}

// negotiating reports whether options are out to guests.
func negotiating(state string, d *threadData) bool {
	return state == stateProposed || state == stateBooked && d.Moving
}

// agreed returns the first current option every active guest accepted,
// -1 when there is none (or no active guest).
func (d *threadData) agreed() int {
	var active []guest
	for _, g := range d.Guests {
		if g.active() {
			active = append(active, g)
		}
	}
	if len(active) == 0 {
		return -1
	}
	for k := range d.Options {
		all := true
		for _, g := range active {
			if !slices.Contains(g.Accepted, k) {
				all = false
				break
			}
		}
		if all {
			return k
		}
	}
	return -1
}

// allAnswered reports whether no active guest is still waiting.
func (d *threadData) allAnswered() bool {
	for _, g := range d.Guests {
		if g.Status == guestWaiting {
			return false
		}
	}
	return true
}

// newRound records a new set of options sent at now: every guest still in
// the negotiation waits for an answer again, with a reminder to come.
func (d *threadData) newRound(opts []slot, now time.Time) {
	d.Round++
	d.Options = opts
	for i := range d.Guests {
		g := &d.Guests[i]
		if g.Status == guestAnswered || g.Status == guestWaiting {
			g.Status, g.Accepted, g.Sent, g.Reminded, g.Silent = guestWaiting, nil, now, false, false
		}
	}
}

// nextDue is when the reminder sweep must look at the thread again: the
// earliest reminder or question to the organizer due; zero for none.
func (d *threadData) nextDue(state string, every time.Duration) time.Time {
	if !negotiating(state, d) || every <= 0 {
		return time.Time{}
	}
	var due time.Time
	for _, g := range d.Guests {
		if g.Status != guestWaiting || g.Silent || g.Sent.IsZero() {
			continue
		}
		at := g.Sent.Add(every)
		if g.Reminded {
			at = g.Sent.Add(2 * every)
		}
		if due.IsZero() || at.Before(due) {
			due = at
		}
	}
	return due
}

// decodeData reads a thread's JSON.
func decodeData(t *store.Thread) (*threadData, error) {
	d := &threadData{}
	if len(t.Data) > 0 {
		if err := json.Unmarshal(t.Data, d); err != nil {
			return nil, fmt.Errorf("assistant: thread %s: %w", t.ID, err)
		}
	}
	return d, nil
}

// encode stores d in t.
func (d *threadData) encode(t *store.Thread) {
	t.Data, _ = json.Marshal(d)
}
