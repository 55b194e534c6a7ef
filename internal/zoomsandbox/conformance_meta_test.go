package zoomsandbox

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestConformanceCatchesMismatch shows that the validator is not a
// rubber stamp: answers and requests that break Zoom's document fail.
func TestConformanceCatchesMismatch(t *testing.T) {
	c := &conformance{t: t, spec: loadZoomSpec(t)}
	good := `{"uuid":"aDYlohsHRtCd4ii1uC2+hA==","id":97763643886,"host_id":"x","host_email":"a@example.com","topic":"T","type":2,"status":"waiting","start_time":"2030-01-01T10:00:00Z","duration":30,"timezone":"UTC","created_at":"2030-01-01T09:00:00Z","start_url":"u","join_url":"u","pre_schedule":false,"settings":{"jbh_time":15}}`
	tests := []struct {
		name, method, path, reqBody string
		status                      int
		respBody                    string
		wantErr                     bool
	}{
		{"valid get", "GET", "/v2/meetings/97763643886", "", 200, good, false},
		{"invented answer field", "GET", "/v2/meetings/97763643886", "", 200, strings.Replace(good, `"topic"`, `"topik":"x","topic"`, 1), true},
		{"invented settings field", "GET", "/v2/meetings/97763643886", "", 200, strings.Replace(good, `"jbh_time":15`, `"jbh_time":15,"mute":true`, 1), true},
		{"start_time not UTC", "GET", "/v2/meetings/97763643886", "", 200, strings.Replace(good, `10:00:00Z`, `10:00:00`, 1), true},
		{"bad status enum", "GET", "/v2/meetings/97763643886", "", 200, strings.Replace(good, `"waiting"`, `"ended"`, 1), true},
		{"undeclared status", "GET", "/v2/meetings/97763643886", "", 409, `{"code":1,"message":"x"}`, true},
		{"error body shape", "GET", "/v2/meetings/97763643886", "", 404, `{"error":"x"}`, true},
		{"topic too long in request", "POST", "/v2/users/me/meetings", `{"topic":"` + strings.Repeat("x", 201) + `"}`, 201, good, true},
		{"unknown request field", "POST", "/v2/users/me/meetings", `{"topick":"x"}`, 201, good, true},
		{"local start_time in request", "POST", "/v2/users/me/meetings", `{"start_time":"2030-01-01T10:00:00","weekly":1}`, 201, good, true},
		{"local start_time alone", "POST", "/v2/users/me/meetings", `{"start_time":"2030-01-01T10:00:00","recurrence":{"type":2,"weekly_days":"2,4"}}`, 201, good, false},
		{"not in the document", "GET", "/v2/webinars/1", "", 200, `{}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://sandbox"+tt.path, strings.NewReader(tt.reqBody))
			req.Header.Set("Authorization", "Bearer x")
			if tt.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(bytes.NewReader([]byte(tt.respBody)))}
			err := c.check(req, []byte(tt.reqBody), resp, []byte(tt.respBody))
			if (err != nil) != tt.wantErr {
				t.Errorf("check = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
