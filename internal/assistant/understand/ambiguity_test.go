package understand

import (
	"testing"
	"time"
)

// TestAmbiguities checks the alternative readings the conventions name
// ("ambiguous ... the alternative"), derived by hand: the primary reading is
// in the corpus, the alternative here.
func TestAmbiguities(t *testing.T) {
	type alt struct{ start, from, to string }
	for _, c := range []struct {
		now, zone, text, rule string
		want                  alt
	}{
		// R4: bare weekday said on that weekday: today
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "Are you free Tuesday?", "R4", alt{from: "2026-03-17T00:00:00+01:00", to: "2026-03-18T00:00:00+01:00"}},
		// R4: EN next X still ahead this week: the coming X
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "next Friday at 10", "R4", alt{start: "2026-03-20T10:00:00+01:00"}},
		// R4: said on a Sunday, next Monday = tomorrow; +8 days the alternative
		{"2026-03-22T18:00:00Z", "Europe/London", "next Monday at 10", "R4", alt{start: "2026-03-30T10:00:00+01:00"}},
		// R4 FR: X prochain falling this week: next week's X
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "vendredi prochain à 10h", "R4", alt{start: "2026-03-27T10:00:00+01:00"}},
		{"2026-03-22T18:00:00+01:00", "Europe/Paris", "lundi prochain à 10h", "R4", alt{start: "2026-03-30T10:00:00+02:00"}},
		// R3: recently passed month-day: this year
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "Could we schedule something for 16 March?", "R3", alt{from: "2026-03-16T00:00:00+01:00", to: "2026-03-17T00:00:00+01:00"}},
		// R3: day of month skipping a shorter month: clamped in the next
		{"2026-01-31T09:00:00-05:00", "America/New_York", "on the 30th", "R3", alt{from: "2026-02-28T00:00:00-05:00", to: "2026-03-01T00:00:00-05:00"}},
		// R12: EN a/b both at most 12 in a Europe zone: day/month, month/day the alternative
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "Can we meet 4/5 at 10am?", "R12", alt{start: "2026-04-05T10:00:00+02:00"}},
		{"2026-06-10T09:00:00-04:00", "America/New_York", "How about 7/6 at 11am?", "R12", alt{start: "2027-06-07T11:00:00-04:00"}}, // 7 June, itself read by R3
		// R7: French "à 3h": 03:00 the alternative; a bare hour: AM
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "à 3h", "R7", alt{start: "2026-03-17T03:00:00+01:00"}},
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "Friday at 7", "R7", alt{start: "2026-03-20T07:00:00+01:00"}},
		// R7: a day at midnight: its start
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "Thursday at midnight", "R7", alt{start: "2026-03-19T00:00:00+01:00"}},
		// R5: next weekend said on a weekday: this weekend
		{"2026-03-17T10:00:00+01:00", "Europe/Paris", "next weekend", "R5", alt{from: "2026-03-21T00:00:00+01:00", to: "2026-03-23T00:00:00+01:00"}},
		// R5: fin de semaine: France's end of the working week
		{"2026-05-14T08:00:00-04:00", "America/Toronto", "en fin de semaine ?", "R5", alt{from: "2026-05-14T00:00:00-04:00", to: "2026-05-16T00:00:00-04:00"}},
		// R11: a gap or an overlap: the fold=1 reading
		{"2026-03-07T12:00:00-05:00", "America/New_York", "tomorrow at 2:30am", "R11", alt{start: "2026-03-08T01:30:00-05:00"}},
		{"2026-10-31T15:00:00-04:00", "America/New_York", "tomorrow at 1:30am", "R11", alt{start: "2026-11-01T01:30:00-05:00"}},
		// R6: one week from now across DST: 168 elapsed hours
		{"2026-03-22T18:00:00Z", "Europe/London", "one week from now", "R6", alt{start: "2026-03-29T19:00:00+01:00"}},
		// R13 + R3: a recently passed holiday
		{"2026-06-10T09:00:00-04:00", "America/New_York", "Memorial Day", "R3", alt{from: "2026-05-25T00:00:00-04:00", to: "2026-05-26T00:00:00-04:00"}},
	} {
		loc, _ := time.LoadLocation(c.zone)
		now, _ := time.Parse(time.RFC3339, c.now)
		res := Parse(c.text, Context{Now: now, Zone: loc})
		var found *Ambiguity
		for i := range res.Ambiguities {
			if res.Ambiguities[i].Rule == c.rule {
				found = &res.Ambiguities[i]
			}
		}
		if found == nil {
			t.Errorf("%q: no %s ambiguity (got %+v)", c.text, c.rule, res.Ambiguities)
			continue
		}
		a := found.Alternative
		got := alt{}
		if !a.Start.IsZero() {
			got.start = a.Start.Format(time.RFC3339)
		}
		if a.Window != nil {
			got.from, got.to = a.Window.From.Format(time.RFC3339), a.Window.To.Format(time.RFC3339)
		}
		if got != c.want {
			t.Errorf("%q: %s alternative %+v, want %+v", c.text, c.rule, got, c.want)
		}
		if res.Confidence >= 1 {
			t.Errorf("%q: confidence %.2f with an ambiguity", c.text, res.Confidence)
		}
	}
	// Unambiguous phrases have none.
	now, _ := time.Parse(time.RFC3339, "2026-03-17T10:00:00+01:00")
	loc, _ := time.LoadLocation("Europe/Paris")
	for _, text := range []string{"Friday at 3pm", "next Monday at 9:30", "mardi prochain à 14h", "le 25 mars à 10h", "tomorrow at 11am", "14/04 at 11am"} {
		if res := Parse(text, Context{Now: now, Zone: loc}); len(res.Ambiguities) != 0 {
			t.Errorf("%q: unexpected ambiguities %+v", text, res.Ambiguities)
		}
	}
}
