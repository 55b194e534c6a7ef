package davserver

import (
	"net/http"
	"strings"
	"testing"
)

// TestPutWithByteOrderMark: an object that starts with a UTF-8 byte order
// mark, as Outlook writes files, is accepted and stored without it (issue
// 8 item 16).
func TestPutWithByteOrderMark(t *testing.T) {
	e := newDAVEnv(t, "sqlite")
	data := event("bom", "20260302T090000Z", "20260302T100000Z")
	e.expect("PUT", calPath+"bom.ics", "ann@acme.test", calHdr, "\uFEFF"+data, http.StatusCreated)
	_, body := e.expect("GET", calPath+"bom.ics", "ann@acme.test", nil, "", http.StatusOK)
	if body != data {
		t.Errorf("stored object:\n%q\nwant:\n%q", body, data)
	}
	if strings.HasPrefix(body, "\uFEFF") {
		t.Error("the byte order mark was stored")
	}
}
