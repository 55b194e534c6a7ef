package zoomsandbox

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

var joinPage = template.Must(template.New("join").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zoom sandbox — {{.Topic}}</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto">
<h1>{{.Topic}}</h1>
<p>{{.What}} meeting {{.ID}} of the Zoom sandbox{{if .When}}, scheduled for {{.When}}{{end}}.</p>
<p>{{.Check}}</p>
</body></html>`))

// handleJoinPage answers the join (/j/{id}) and start (/s/{id}) links the
// sandbox hands out, so that following them in a browser test shows what
// they point at.
func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("meetingId"), 10, 64)
	s.mu.Lock()
	m := s.st.Meetings[id]
	var data map[string]string
	if err == nil && m != nil {
		data = map[string]string{"Topic": m.Topic, "ID": groupMeetingID(m.ID), "What": "Join"}
		if m.Type != typeInstant && m.Type != typeRecurringNoFixed {
			data["When"] = m.StartTime.UTC().Format(zoomTime)
		}
		data["Check"] = "Passcode link valid."
		if strings.HasPrefix(r.URL.Path, "/s/") {
			data["What"] = "Start"
			if r.URL.Query().Get("zak") != m.ZAK {
				data["Check"] = "Invalid start link."
			} else {
				data["Check"] = "Host start link valid."
			}
		} else if m.EncryptedPassword != "" && r.URL.Query().Get("pwd") != m.EncryptedPassword {
			data["Check"] = "Passcode missing from the link: participants would be asked for it."
		}
	}
	s.mu.Unlock()
	if data == nil {
		http.Error(w, "This meeting ID is not valid.", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = joinPage.Execute(w, data)
}
