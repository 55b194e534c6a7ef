package assistant

import (
	"fmt"
	"testing"
	"time"

	"github.com/convene/convene/internal/assistant/understand"
)

// intents are every intent understand returns, and none.
var intents = []understand.Intent{understand.IntentNone, understand.IntentNew, understand.IntentReschedule, understand.IntentCancel,
	understand.IntentShorten, understand.IntentLengthen, understand.IntentPick, understand.IntentNoneWork, understand.IntentDecline,
	understand.IntentAccept, understand.IntentProvider}

// states are the thread states, with "moving" for a booked meeting whose
// guests have options to move it.
var states = []string{stateAsking, stateProposed, stateBooked, "moving", stateCancelled}

// want is the decision table: role/state/intent → action, for a message
// without a time, of three words or more, picking option 1 of 4 when it
// picks. Every combination is listed, so a change of policy shows here.
var want = map[string]action{}

func init() {
	set := func(r role, state string, a action, ins ...understand.Intent) {
		for _, in := range ins {
			want[fmt.Sprintf("%s/%s/%s", r, state, orNone(string(in)))] = a
		}
	}
	all := intents
	// The organizer.
	set(roleOrganizer, stateAsking, doBook, all...)
	set(roleOrganizer, stateAsking, doCancel, understand.IntentCancel)
	for _, st := range []string{stateProposed, "moving"} {
		set(roleOrganizer, st, doNothing, understand.IntentNone, understand.IntentNew, understand.IntentDecline, understand.IntentAccept)
		set(roleOrganizer, st, doCancel, understand.IntentCancel)
		set(roleOrganizer, st, doDuration, understand.IntentShorten, understand.IntentLengthen)
		set(roleOrganizer, st, doProvider, understand.IntentProvider)
		set(roleOrganizer, st, doPick, understand.IntentPick)
		set(roleOrganizer, st, doNewOptions, understand.IntentReschedule, understand.IntentNoneWork)
	}
	set(roleOrganizer, stateBooked, doNothing, understand.IntentNone, understand.IntentNew, understand.IntentDecline, understand.IntentAccept,
		understand.IntentPick, understand.IntentNoneWork)
	set(roleOrganizer, stateBooked, doCancel, understand.IntentCancel)
	set(roleOrganizer, stateBooked, doDuration, understand.IntentShorten, understand.IntentLengthen)
	set(roleOrganizer, stateBooked, doProvider, understand.IntentProvider)
	set(roleOrganizer, stateBooked, doReschedule, understand.IntentReschedule)
	set(roleOrganizer, stateCancelled, doNothing, all...)
	// A guest.
	set(roleGuest, stateAsking, doNothing, all...)
	set(roleGuest, stateCancelled, doNothing, all...)
	for _, st := range []string{stateProposed, "moving"} {
		set(roleGuest, st, doTellOrganizer, understand.IntentNone, understand.IntentNew, understand.IntentReschedule, understand.IntentShorten,
			understand.IntentLengthen, understand.IntentProvider)
		set(roleGuest, st, doAccept, understand.IntentPick)
		set(roleGuest, st, doAskWhich, understand.IntentAccept)
		set(roleGuest, st, doDecline, understand.IntentDecline, understand.IntentCancel)
		set(roleGuest, st, doNewOptions, understand.IntentNoneWork)
	}
	set(roleGuest, stateBooked, doNothing, all...)
	set(roleGuest, stateBooked, doDecline, understand.IntentDecline, understand.IntentCancel)
	// A colleague invited, and anyone else.
	for _, st := range states {
		set(roleColleague, st, doNothing, all...)
		set(roleOther, st, doNothing, all...)
		if st != stateCancelled {
			set(roleColleague, st, doDecline, understand.IntentDecline)
		}
	}
}

// stateOf makes the thread of a table state: four options out, one guest
// waiting.
func stateOf(st string) (string, *threadData) {
	d := &threadData{Guests: []guest{{Email: "bob@partner.example", Status: guestWaiting}}}
	now := time.Date(2031, 3, 3, 8, 0, 0, 0, time.UTC)
	for i := range 4 {
		d.Options = append(d.Options, slot{Start: now.Add(time.Duration(24*(i+1)) * time.Hour), End: now.Add(time.Duration(24*(i+1))*time.Hour + 30*time.Minute)})
	}
	if st == "moving" {
		d.Moving = true
		return stateBooked, d
	}
	return st, d
}

func TestDecideEveryIntentInEveryState(t *testing.T) {
	n := 0
	for _, r := range []role{roleOrganizer, roleGuest, roleColleague, roleOther} {
		for _, st := range states {
			for _, in := range intents {
				key := fmt.Sprintf("%s/%s/%s", r, st, orNone(string(in)))
				exp, ok := want[key]
				if !ok {
					t.Errorf("%s: no expectation in the table", key)
					continue
				}
				state, d := stateOf(st)
				ev := event{Role: r, Intent: in, Option: -1, Words: 5}
				if in == understand.IntentPick {
					ev.Option = 0
				}
				got, why := decide(state, d, ev)
				if got != exp {
					t.Errorf("%s: %s (%s), want %s", key, got, why, exp)
				}
				if why == "" {
					t.Errorf("%s: no reason given", key)
				}
				n++
			}
		}
	}
	if n != 4*len(states)*len(intents) {
		t.Errorf("%d cases", n)
	}
}

// TestDecideWithTimesAndQuestions covers what the table does not: a time
// in the message, the questions the organizer was asked, short messages,
// a lone option.
func TestDecideWithTimesAndQuestions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		state    string
		question string
		options  int
		ev       event
		want     action
	}{
		{"organizer gives a time to a proposal", stateProposed, "", 4, event{Role: roleOrganizer, Intent: understand.IntentNone, HasTime: true}, doNewOptions},
		{"organizer asks for new times in words", stateProposed, "", 4, event{Role: roleOrganizer, NewTimes: true}, doNewOptions},
		{"organizer gives a new time to a booked meeting", stateBooked, "", 0, event{Role: roleOrganizer, Intent: understand.IntentNew, HasTime: true}, doReschedule},
		{"organizer: none work, Friday then", stateBooked, "", 0, event{Role: roleOrganizer, Intent: understand.IntentNoneWork, HasTime: true}, doReschedule},
		{"organizer continues without a silent guest", stateProposed, askSilent, 4, event{Role: roleOrganizer, Continue: true}, doContinue},
		{"organizer says ok to the silent question", stateProposed, askSilent, 4, event{Role: roleOrganizer, Intent: understand.IntentAccept}, doContinue},
		{"organizer continues without a declining guest", stateProposed, askDeclined, 4, event{Role: roleOrganizer, Continue: true}, doContinue},
		{"'continue' with no question is nothing", stateProposed, "", 4, event{Role: roleOrganizer, Continue: true}, doNothing},
		{"organizer picks for everyone", stateProposed, askNoCommon, 4, event{Role: roleOrganizer, Intent: understand.IntentPick, Option: 2}, doPick},
		{"organizer accepts a counter", stateBooked, askCounter, 0, event{Role: roleOrganizer, Intent: understand.IntentAccept}, doAcceptCounter},
		{"organizer refuses a counter", stateBooked, askCounter, 0, event{Role: roleOrganizer, Intent: understand.IntentDecline}, doNothing},
		{"organizer cancels whatever the question", stateBooked, askCounter, 0, event{Role: roleOrganizer, Intent: understand.IntentCancel}, doCancel},
		{"guest ok with the only option", stateProposed, "", 1, event{Role: roleGuest, Intent: understand.IntentAccept}, doAccept},
		{"guest ok with a time not offered", stateProposed, "", 4, event{Role: roleGuest, Intent: understand.IntentAccept, HasTime: true}, doNewOptions},
		{"guest proposes another time", stateProposed, "", 4, event{Role: roleGuest, Intent: understand.IntentNone, HasTime: true}, doNewOptions},
		{"guest: none work, next week", stateProposed, "", 4, event{Role: roleGuest, Intent: understand.IntentNoneWork, HasTime: true}, doNewOptions},
		{"guest picks an option that does not exist", stateProposed, "", 2, event{Role: roleGuest, Intent: understand.IntentPick, Option: 3, Words: 1}, doNothing},
		{"guest's 'thanks' is nothing", stateProposed, "", 4, event{Role: roleGuest, Words: 1}, doNothing},
		{"guest asks to move a booked meeting", stateBooked, "", 0, event{Role: roleGuest, Intent: understand.IntentReschedule, HasTime: true}, doTellOrganizer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, d := stateOf(stateProposed)
			d.Options, d.Question = d.Options[:tc.options], tc.question
			if tc.ev.Option == 0 && tc.ev.Intent != understand.IntentPick {
				tc.ev.Option = -1
			}
			if got, why := decide(tc.state, d, tc.ev); got != tc.want {
				t.Errorf("%s (%s), want %s", got, why, tc.want)
			}
		})
	}
}

func TestOrganizerWords(t *testing.T) {
	for _, tc := range []struct {
		text           string
		cont, newTimes bool
	}{
		{"Continue without him.", true, false},
		{"Continuez sans elle, merci", true, false},
		{"go ahead", true, false},
		{"Please propose new times", false, true},
		{"Propose d'autres créneaux", false, true},
		{"nouveaux créneaux svp", false, true},
		{"Let's continue next week", true, false},
		{"discontinued", false, false},
		{"withouts", false, false},
		{"", false, false},
	} {
		if got := hasWords(tc.text, continueWords); got != tc.cont {
			t.Errorf("%q continue = %v", tc.text, got)
		}
		if got := hasWords(tc.text, newTimesWords); got != tc.newTimes {
			t.Errorf("%q new times = %v", tc.text, got)
		}
	}
}
