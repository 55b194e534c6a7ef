package understand

import (
	"testing"
	"time"
)

// TestIntents reads the messages of a thread (organizer and guests) in both
// languages.
func TestIntents(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-17T10:00:00+01:00")
	// Options offered to a guest: Thu 19 10:00, Thu 19 15:00, Fri 20 11:00, Tue 24 10:00.
	opts := []time.Time{
		time.Date(2026, 3, 19, 10, 0, 0, 0, loc),
		time.Date(2026, 3, 19, 15, 0, 0, 0, loc),
		time.Date(2026, 3, 20, 11, 0, 0, 0, loc),
		time.Date(2026, 3, 24, 10, 0, 0, 0, loc),
	}
	for _, c := range []struct {
		text    string
		options bool
		intent  Intent
		option  int
		dur     int    // the new length, for shorten and lengthen
		window  string // the new window's start, for none_work and reschedule
	}{
		{"Can we meet Thursday at 2pm?", false, IntentNew, -1, 0, ""},
		{"On se voit jeudi à 14h ?", false, IntentNew, -1, 0, ""},
		{"Can we find a time to talk about the roadmap?", false, IntentNew, -1, 0, ""},
		{"On pourrait organiser une réunion avec l'équipe ?", false, IntentNew, -1, 0, ""},
		{"Thanks, talk soon!", false, IntentNone, -1, 0, ""},
		{"The report is attached.", false, IntentNone, -1, 0, ""},
		{"Please cancel the meeting.", false, IntentCancel, -1, 0, ""},
		{"Let's call it off, sorry.", false, IntentCancel, -1, 0, ""},
		{"Merci d'annuler la réunion de jeudi.", false, IntentCancel, -1, 0, ""},
		{"Can we move it to Friday at 3pm?", false, IntentReschedule, -1, 0, ""},
		{"On peut décaler à lundi matin ?", false, IntentReschedule, -1, 0, "2026-03-23T08:00:00+01:00"},
		{"Could we reschedule to next week?", false, IntentReschedule, -1, 0, "2026-03-23T00:00:00+01:00"},
		{"Can we shorten it to 30 minutes?", false, IntentShorten, -1, 30, ""},
		{"On peut faire plus court ? Une demi-heure suffira.", false, IntentShorten, -1, 30, ""},
		{"Could we make it longer, say 90 minutes?", false, IntentLengthen, -1, 90, ""},
		{"Il faudrait prolonger à deux heures.", false, IntentLengthen, -1, 0, ""},
		{"Option 2 please", true, IntentPick, 1, 0, ""},
		{"The second one works for me.", true, IntentPick, 1, 0, ""},
		{"Je prends la troisième proposition.", true, IntentPick, 2, 0, ""},
		{"Thursday at 3pm works.", true, IntentPick, 1, 0, ""},
		{"jeudi 10h ça me va", true, IntentPick, 0, 0, ""},
		{"Friday works for me", true, IntentPick, 2, 0, ""},
		{"mardi prochain, c'est parfait", true, IntentPick, 3, 0, ""},
		{"15h me convient", true, IntentPick, 1, 0, ""},
		{"None of these work, sorry.", true, IntentNoneWork, -1, 0, ""},
		{"none of these, next week?", true, IntentNoneWork, -1, 0, "2026-03-23T00:00:00+01:00"},
		{"Aucun de ces créneaux ne me convient, plutôt la semaine prochaine ?", true, IntentNoneWork, -1, 0, "2026-03-23T00:00:00+01:00"},
		{"I'm afraid I can't attend.", true, IntentDecline, -1, 0, ""},
		{"Je ne pourrai pas venir, désolé.", true, IntentDecline, -1, 0, ""},
		{"I'll decline, thanks.", false, IntentDecline, -1, 0, ""},
		{"Sounds good, see you then!", false, IntentAccept, -1, 0, ""},
		{"Parfait, c'est confirmé.", false, IntentAccept, -1, 0, ""},
		{"Can we do it on Teams instead?", false, IntentProvider, -1, 0, ""},
	} {
		ctx := Context{Now: now, Zone: loc}
		if c.options {
			ctx.Options = opts
		}
		res := Parse(c.text, ctx)
		if res.Intent != c.intent || res.Option != c.option {
			t.Errorf("%q: intent %q option %d, want %q option %d", c.text, res.Intent, res.Option, c.intent, c.option)
			continue
		}
		if c.dur != 0 && res.Request.Duration != c.dur {
			t.Errorf("%q: duration %d, want %d", c.text, res.Request.Duration, c.dur)
		}
		if c.window != "" {
			got := ""
			if res.Request.Window != nil {
				got = res.Request.Window.From.Format(time.RFC3339)
			}
			if got != c.window {
				t.Errorf("%q: window from %q, want %q", c.text, got, c.window)
			}
		}
	}
}
