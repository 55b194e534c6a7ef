package zoomsandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxBody bounds request bodies; Zoom's largest meeting body is far below.
const maxBody = 1 << 20

// decodeMeetingInput reads a create or update body. Malformed JSON is
// Zoom's "Request Body should be a valid JSON object." (zoom-api.md §2.1); a
// value of the wrong type is a code 300 error naming the field.
func decodeMeetingInput(r *http.Request) (*meetingInput, *apiError) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(b) > maxBody {
		return nil, errBadRequest(300, msgBadJSON)
	}
	return parseMeetingInput(b)
}

// parseMeetingInput is decodeMeetingInput's pure part (fuzzed).
func parseMeetingInput(b []byte) (*meetingInput, *apiError) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errBadRequest(300, msgBadJSON)
	}
	var in meetingInput
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, errValidation(fieldError{Field: jsonFieldPath(te.Field), Message: msgInvalidField})
		}
		return nil, errBadRequest(300, msgBadJSON)
	}
	if dec.More() {
		return nil, errBadRequest(300, msgBadJSON)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errBadRequest(300, msgBadJSON)
	}
	return &in, nil
}

// jsonFieldPath turns encoding/json's "settings.meeting_invitees.email"
// into the dotted path Zoom reports.
func jsonFieldPath(f string) string { return strings.TrimPrefix(f, ".") }

// validEnforceLoginDomains checks "a.com;b.com" (SPEC23: "Invalid
// enforce_login_domains, separate multiple domains by semicolon.").
func validEnforceLoginDomains(s string) bool {
	if s == "" {
		return true
	}
	for d := range strings.SplitSeq(s, ";") {
		d = strings.TrimSpace(d)
		if d == "" || strings.ContainsAny(d, ", @/") || !strings.Contains(d, ".") {
			return false
		}
	}
	return true
}

// credentials sets a meeting's passcodes and links' secrets: the passcode
// (generated when none is given, as when the host's "Require a passcode"
// setting is on, zoom-api.md §1.3), the numeric H.323/PSTN passcode, and the
// encrypted_password of the join URL.
func (s *Server) credentials(m *meeting, password *string) {
	switch {
	case password != nil && *password != "":
		m.Password = *password
	default:
		m.Password = s.rnd.text(6, alnum)
	}
	m.H323Password = m.Password
	if strings.Trim(m.Password, digits) != "" {
		m.H323Password = s.rnd.text(6, digits)
	}
	m.PSTNPassword = m.H323Password
	m.EncryptedPassword = s.rnd.text(30, alnum) + ".1"
}
