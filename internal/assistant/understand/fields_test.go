package understand

import (
	"reflect"
	"testing"
	"time"
)

// TestFields checks the fields besides the time: subject, names, provider,
// attendees, language.
func TestFields(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-17T10:00:00+01:00")
	for _, c := range []struct {
		text, subject, video string
		names, att           []string
		lang                 Language
	}{
		{"A meeting about the Q3 roadmap with Alice and Bob on Friday", "Q3 roadmap", "", []string{"Alice", "Bob"}, nil, English},
		{"Set up a call regarding our hiring plan, with Anna Martin, Paul and Lee, on Zoom", "Hiring plan", "zoom", []string{"Anna Martin", "Paul", "Lee"}, nil, English},
		{"Réunion pour parler des recrutements avec Marie et Paul sur Teams", "Recrutements", "teams", []string{"Marie", "Paul"}, nil, French},
		{"Un point au sujet de la migration vendredi", "Migration", "", nil, nil, French},
		{"How about Friday?", "", "", nil, nil, English},
		{"I need about 2 hours on Friday", "", "", nil, nil, English},
		{"Our teams should meet on Friday", "", "", nil, nil, English},
		{"Let's meet on Friday, via Meet", "", "google_meet", nil, nil, English},
		{"Can we meet face to face?", "", "none", nil, nil, English},
		{"On se voit de visu jeudi ?", "", "none", nil, nil, French},
		{"Invite a@x.example, b@x.example and A@x.example to Friday's sync", "", "", nil, []string{"a@x.example", "b@x.example"}, English},
		{"15h30 ?", "", "", nil, nil, French},
		{"14:30?", "", "", nil, nil, English},
	} {
		r := Parse(c.text, Context{Now: now, Zone: loc}).Request
		if r.Subject != c.subject || r.VideoProvider != c.video || !reflect.DeepEqual(r.Names, c.names) || !reflect.DeepEqual(r.Attendees, c.att) || r.Language != c.lang {
			t.Errorf("%q:\n got subject %q video %q names %q attendees %q language %s\nwant subject %q video %q names %q attendees %q language %s",
				c.text, r.Subject, r.VideoProvider, r.Names, r.Attendees, r.Language, c.subject, c.video, c.names, c.att, c.lang)
		}
	}
	// The hint decides when the text gives no evidence.
	if r := Parse("14:30", Context{Now: now, Zone: loc, Language: French}).Request; r.Language != French {
		t.Errorf("hint ignored: %s", r.Language)
	}
}

// TestMorePhrases covers phrasings outside both sets, found by probing:
// three were misread before ("UTC+2" as UTC, "a week Thursday" as this
// Thursday, "every 2nd Tuesday of the month" as a one-off).
func TestMorePhrases(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	now, _ := time.Parse(time.RFC3339, "2026-03-17T10:00:00+01:00") // Tuesday
	for _, c := range []struct{ text, start, from, to, zone, rrule string }{
		{text: "Friday at 3pm UTC+2", start: "2026-03-20T15:00:00+02:00", zone: "Etc/GMT-2"},
		{text: "Friday at 3pm GMT-5", start: "2026-03-20T15:00:00-05:00", zone: "Etc/GMT+5"},
		{text: "Friday at 3pm UTC+05:30", start: "2026-03-20T15:00:00+05:30", zone: "UTC+05:30"},
		{text: "a week Thursday", from: "2026-03-26T00:00:00+01:00", to: "2026-03-27T00:00:00+01:00"},
		{text: "every 2nd Tuesday of the month at 10", start: "2026-04-14T10:00:00+02:00", rrule: "FREQ=MONTHLY;BYDAY=2TU"},
		{text: "every last Friday of the month", from: "2026-03-27T00:00:00+01:00", to: "2026-03-28T00:00:00+01:00", rrule: "FREQ=MONTHLY;BYDAY=-1FR"},
		{text: "later this week", from: "2026-03-18T00:00:00+01:00", to: "2026-03-23T00:00:00+01:00"},
		{text: "between Monday and Wednesday", from: "2026-03-23T00:00:00+01:00", to: "2026-03-26T00:00:00+01:00"},
		{text: "entre lundi et mercredi", from: "2026-03-23T00:00:00+01:00", to: "2026-03-26T00:00:00+01:00"},
		{text: "in the next two weeks", from: "2026-03-17T00:00:00+01:00", to: "2026-03-31T00:00:00+02:00"},
		{text: "dans les 15 prochains jours", from: "2026-03-17T00:00:00+01:00", to: "2026-04-01T00:00:00+02:00"},
		{text: "end of the month", from: "2026-03-21T00:00:00+01:00", to: "2026-04-01T00:00:00+02:00"},
		{text: "en fin de mois", from: "2026-03-21T00:00:00+01:00", to: "2026-04-01T00:00:00+02:00"},
		{text: "first thing Monday", from: "2026-03-23T08:00:00+01:00", to: "2026-03-23T12:00:00+01:00"},
		{text: "noonish tomorrow", start: "2026-03-18T12:00:00+01:00"},
		{text: "Christmas Eve at 6pm", start: "2026-12-24T18:00:00+01:00"},
		{text: "la veille de Noël", from: "2026-12-24T00:00:00+01:00", to: "2026-12-25T00:00:00+01:00"},
		{text: "New Year's Eve", from: "2026-12-31T00:00:00+01:00", to: "2027-01-01T00:00:00+01:00"},
	} {
		r := Parse(c.text, Context{Now: now, Zone: loc}).Request
		got := struct{ start, from, to, zone, rrule string }{rrule: r.RRule}
		if !r.Start.IsZero() {
			got.start = r.Start.Format(time.RFC3339)
		}
		if r.Window != nil {
			got.from, got.to = r.Window.From.Format(time.RFC3339), r.Window.To.Format(time.RFC3339)
		}
		if r.Zone.String() != "Europe/Paris" {
			got.zone = r.Zone.String()
		}
		want := struct{ start, from, to, zone, rrule string }{c.start, c.from, c.to, c.zone, c.rrule}
		if got != want {
			t.Errorf("%q:\n got %+v\nwant %+v", c.text, got, want)
		}
	}
}
