package zoomsandbox

import (
	"net/http"
	"strconv"
	"testing"
)

func TestCoreCreateGetDelete(t *testing.T) {
	sb := newSandbox(t, nil)
	tok := sb.s2sToken()
	v := sb.create(tok, "jane.doe@example.com", map[string]any{
		"topic": "Design review", "type": 2, "start_time": "2030-03-04T15:00:00", "timezone": "Europe/Berlin", "duration": 45,
	})
	if v.StartTime != "2030-03-04T14:00:00Z" || v.HostEmail != "jane.doe@example.com" || v.Status != "waiting" {
		t.Fatalf("create = %+v", v)
	}
	id := strconv.FormatInt(v.ID, 10)
	if len(id) != 11 {
		t.Errorf("id %s: want 11 digits", id)
	}
	r := sb.do(http.MethodGet, "/v2/meetings/"+id, tok, nil)
	if r.Status != 200 {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	r = sb.do(http.MethodDelete, "/v2/meetings/"+id, tok, nil)
	if r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	r = sb.do(http.MethodGet, "/v2/meetings/"+id, tok, nil)
	if e := r.zoomError(t); r.Status != 404 || e.Code != 3001 {
		t.Fatalf("get deleted: %d %s", r.Status, r.Body)
	}
}
