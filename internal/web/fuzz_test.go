package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
)

// FuzzDecodeJSON: any body either decodes or gives a failure that the API
// answers with a 4xx status; never a panic or an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"account":"a","admin_email":"a@b.co","admin_name":"x"}`,
		`{"email":"x@y.z","working_hours":{"mon":[["09:00","17:00"]]}}`,
		`{"working_hours":{"mon":[["25:00","17:00"]]}}`,
		`{"timezone":null}`, `{"subject":"x","start_time":"2030-01-01T10:00","recurrence":{"rrule":"FREQ=WEEKLY"}}`,
		`{"attendees":[{"email":"a@b.c","name":"A"}],"settings":{"mute_upon_entry":true}}`, `{"scope":"this","occurrence":"1"}`, `{"role":"owner","disabled":true}`, `{"disabled":"yes"}`, `[]`, `"x"`, `{"a":1}{`, `{"buffers":{"before":"5"}}`, "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range []any{&account.SetupInput{}, &account.NewUser{}, &account.UserPatch{}, &account.AccessPatch{}, &booking.Request{}, &booking.Change{}} {
			r := httptest.NewRequest("POST", "/", strings.NewReader(body))
			w := httptest.NewRecorder()
			err := decodeJSON(w, r, v)
			if err == nil {
				continue
			}
			fe, ok := failure.As(err)
			if !ok {
				t.Fatalf("body %q: untyped error %v", body, err)
			}
			if st := kindStatus[fe.Kind]; st < 400 || st >= 500 {
				t.Fatalf("body %q: status %d for %v", body, st, err)
			}
		}
	})
}
