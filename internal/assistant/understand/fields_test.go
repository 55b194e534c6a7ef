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
