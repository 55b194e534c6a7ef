package googlesandbox

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestValidatorCatches shows the validator is not a rubber stamp: an
// invented field, a wrong type, a bad format, an unknown parameter and a
// malformed error body are all caught, and the good forms pass.
func TestValidatorCatches(t *testing.T) {
	v, err := newValidator(discovery(t))
	if err != nil {
		t.Fatal(err)
	}
	if v.Revision != "20261030" {
		t.Errorf("revision %s: update testdata/README.md with the document", v.Revision)
	}
	good := `{"kind":"calendar#event","id":"abcde","status":"confirmed","start":{"dateTime":"2030-01-07T09:00:00+01:00","timeZone":"Europe/Paris"},"end":{"date":"2030-01-08"},"sequence":0,"attendees":[{"email":"a@example.com","responseStatus":"accepted"}],"conferenceData":{"conferenceId":"abc-defg-hij","entryPoints":[{"entryPointType":"video","uri":"https://x"}]}}`
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		body    string
		resp    bool
		wantErr string
	}{
		{"good answer", "GET", "/calendar/v3/calendars/primary/events/abcde", 200, good, true, ""},
		{"invented field", "GET", "/calendar/v3/calendars/primary/events/abcde", 200, strings.Replace(good, `"status"`, `"meetLink":"x","status"`, 1), true, `unknown property "meetLink"`},
		{"invented nested field", "GET", "/calendar/v3/calendars/primary/events/abcde", 200, strings.Replace(good, `"responseStatus"`, `"rsvp":true,"responseStatus"`, 1), true, `unknown property "rsvp"`},
		{"wrong type", "GET", "/calendar/v3/calendars/primary/events/abcde", 200, strings.Replace(good, `"sequence":0`, `"sequence":"0"`, 1), true, "Event.sequence: string where the document says integer"},
		{"bad date-time", "GET", "/calendar/v3/calendars/primary/events/abcde", 200, strings.Replace(good, `+01:00"`, `"`, 1), true, "not an RFC 3339 date-time"},
		{"null answered", "GET", "/calendar/v3/calendars/primary/events/abcde", 200, strings.Replace(good, `"status":"confirmed"`, `"status":null`, 1), true, "null"},
		{"bad error body", "GET", "/calendar/v3/calendars/primary/events/abcde", 404, `{"error":{"code":404,"message":"x"}}`, true, "errors"},
		{"error with wrong code", "GET", "/calendar/v3/calendars/primary/events/abcde", 404, `{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":400,"message":"Not Found"}}`, true, "code 400"},
		{"good error", "GET", "/calendar/v3/calendars/primary/events/abcde", 404, `{"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":404,"message":"Not Found"}}`, true, ""},
		{"delete with a body", "DELETE", "/calendar/v3/calendars/primary/events/abcde", 200, `{}`, true, "answers no body"},
		{"good request", "POST", "/calendar/v3/calendars/primary/events?conferenceDataVersion=1&sendUpdates=all", 0, good, false, ""},
		{"local dateTime in a request", "POST", "/calendar/v3/calendars/primary/events", 0, strings.Replace(good, `+01:00"`, `"`, 1), false, ""},
		{"local time elsewhere in a request", "POST", "/calendar/v3/freeBusy", 0, `{"timeMin":"2030-01-07T00:00:00","timeMax":"2030-01-08T00:00:00Z"}`, false, "timeMin"},
		{"null in a patch", "PATCH", "/calendar/v3/calendars/primary/events/abcde", 0, `{"location":null}`, false, ""},
		{"unknown parameter", "GET", "/calendar/v3/calendars/primary/events?maxResult=5", 0, "", false, `unknown query parameter "maxResult"`},
		{"enum parameter", "POST", "/calendar/v3/calendars/primary/events?sendUpdates=everyone", 0, good, false, "not one of"},
		{"integer parameter", "GET", "/calendar/v3/calendars/primary/events?maxResults=ten", 0, "", false, "not an integer"},
		{"boolean parameter", "GET", "/calendar/v3/calendars/primary/events?singleEvents=yes", 0, "", false, "not a boolean"},
		{"invented request field", "POST", "/calendar/v3/freeBusy", 0, `{"timeMin":"2030-01-07T00:00:00Z","timeMax":"2030-01-08T00:00:00Z","items":[{"id":"a","email":"b"}]}`, false, `unknown property "email"`},
		{"not in the document", "GET", "/calendar/v3/users/me/settings/x/y", 0, "", false, "no method"},
		{"watch is not get", "POST", "/calendar/v3/calendars/primary/events/watch", 0, `{"id":"c","type":"web_hook","address":"https://x"}`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://sandbox"+tt.path, nil)
			var err error
			if tt.resp {
				err = v.checkResponse(r, tt.status, []byte(tt.body))
			} else {
				err = v.checkRequest(r, []byte(tt.body))
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// TestValidatorOption: the sandbox reports what its validator finds, for
// requests it receives (an invented field and a wrong type).
func TestValidatorOption(t *testing.T) {
	var found []error
	sb := newSandbox(t, func(o *Options) { o.Violation = func(err error) { found = append(found, err) } })
	tok := sb.token(sb.key("example.com"), "alice@example.com")
	r := sb.do("POST", "/calendar/v3/calendars/primary/events", tok, `{"summary":"x","meetLink":"y","start":{"dateTime":"2030-01-07T09:00:00Z"},"end":{"dateTime":"2030-01-07T10:00:00Z"},"guestsCanModify":"yes"}`)
	if r.Status != http.StatusOK && r.Status != http.StatusBadRequest {
		t.Fatalf("insert: %d %s", r.Status, r.Body)
	}
	if len(found) != 1 || !strings.Contains(found[0].Error(), "meetLink") || !strings.Contains(found[0].Error(), "guestsCanModify: string") {
		t.Errorf("violations: %v", found)
	}
}
