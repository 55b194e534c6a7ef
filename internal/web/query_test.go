package web

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/convene/convene/internal/failure"
)

func TestQueryLimit(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  int
		bad   bool
	}{
		{"", 0, false},
		{"limit=1", 1, false},
		{"limit=200", 200, false},
		{"limit=0", 0, true},
		{"limit=-3", 0, true},
		{"limit=201", 0, true},
		{"limit=ten", 0, true},
		{"limit=1e2", 0, true},
		{"limit=99999999999999999999", 0, true},
	} {
		q, _ := url.ParseQuery(tc.query)
		var fs failure.Fields
		got := queryLimit(&fs, q, 200)
		if got != tc.want || (len(fs) != 0) != tc.bad {
			t.Errorf("%q: %d, %v; want %d, refused %v", tc.query, got, fs, tc.want, tc.bad)
		}
		if tc.bad && (fs[0].Field != "limit" || fs[0].Message != fmt.Sprintf("%q is not a number from 1 to 200", q.Get("limit"))) {
			t.Errorf("%q: %+v", tc.query, fs)
		}
	}
}

// TestListLimits: every list of the API refuses a limit out of its range
// with the same problem, and takes its largest.
func TestListLimits(t *testing.T) {
	h := newHarness(t, "sqlite")
	a := h.setupTenant("Acme", "acme.test", true)
	for _, tc := range []struct {
		path string
		max  int
	}{
		{"/api/v1/audit?", 200},
		{"/api/v1/inbox?", 1000},
		{"/api/v1/outbox?", 1000},
		{"/api/v1/availability?attendees=" + a.memberEmail + "&", 50},
	} {
		for _, v := range []string{"0", fmt.Sprint(tc.max + 1), "x"} {
			out := h.expect("GET", tc.path+"limit="+v, a.owner, nil, 422)
			if want := fmt.Sprintf("limit: %q is not a number from 1 to %d", v, tc.max); out["detail"] != want {
				t.Errorf("%slimit=%s: %v; want %q", tc.path, v, out["detail"], want)
			}
		}
		h.expect("GET", tc.path+"limit="+fmt.Sprint(tc.max), a.owner, nil, 200)
	}
	// The connections list checks its limit before the app's mode.
	out := h.expect("GET", "/api/v1/apps/google_meet/connections?limit=201", a.owner, nil, 422)
	if out["detail"] != `limit: "201" is not a number from 1 to 200` {
		t.Errorf("connections: %v", out["detail"])
	}
}
