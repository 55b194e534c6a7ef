package web

import (
	"cmp"
	"net/http"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// meetingRoutes: booking, rescheduling and cancelling, and the outbox.
func (s *Server) meetingRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/meetings", auth: authToken, summary: "Book a meeting: 201 once its video meeting exists, 202 while the provider is slow",
			request: "MeetingRequest", resp: map[int]string{201: "Meeting", 202: "Meeting"}, handle: s.createMeeting},
		{method: "GET", path: "/api/v1/meetings", auth: authToken, summary: "The caller's meetings (organized or attended) between from and to",
			query: []param{{name: "from", typ: "string", doc: "RFC 3339 (default now)"}, {name: "to", typ: "string", doc: "RFC 3339 (default from + 30 days)"}},
			resp:  map[int]string{200: "MeetingList"}, handle: s.listMeetings},
		{method: "GET", path: "/api/v1/meetings/{id}", auth: authToken, summary: "A meeting with every detail of its video meeting (the start URL for the organizer only)",
			resp: map[int]string{200: "Meeting"}, handle: s.getMeeting},
		{method: "PATCH", path: "/api/v1/meetings/{id}", auth: authToken, summary: "Reschedule or change a meeting; for a series: this occurrence, this and following, or all",
			request: "MeetingChange", resp: map[int]string{200: "Meeting"}, handle: s.patchMeeting},
		{method: "DELETE", path: "/api/v1/meetings/{id}", auth: authToken, summary: "Cancel a meeting; for a series: this occurrence, this and following, or all",
			query: []param{{name: "scope", typ: "string", doc: "this, following or all (default)"}, {name: "occurrence", typ: "string", doc: "occurrence_id or start time, for this and following"}},
			resp:  map[int]string{200: "Meeting"}, handle: s.cancelMeeting},
		{method: "POST", path: "/api/v1/meetings/{id}/choose", auth: authToken, summary: "Book a proposed meeting at one of its options",
			request: "MeetingChoose", resp: map[int]string{200: "Meeting"}, handle: s.chooseMeeting},
		{method: "GET", path: "/api/v1/outbox", auth: authToken, admin: true, summary: "Mail Convene sent or holds, newest first",
			query: []param{{name: "meeting", typ: "string", doc: "only the mail of this meeting"}, {name: "limit", typ: "integer", doc: "at most this many (1 to 1000, default 100)"}},
			resp:  map[int]string{200: "Outbox"}, handle: s.listOutbox},
		{method: "GET", path: "/api/v1/outbox/{id}/raw", auth: authToken, admin: true, summary: "One mail as sent (message/rfc822)",
			resp: map[int]string{200: ""}, handle: s.rawMail},
	}
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request) error {
	var in booking.Request
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Booking.Create(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if v.Status == store.MeetingBooking {
		status = http.StatusAccepted
	}
	w.Header().Set("Location", "/api/v1/meetings/"+v.ID)
	writeJSON(w, status, v)
	return nil
}

func (s *Server) listMeetings(w http.ResponseWriter, r *http.Request) error {
	from, to := s.Now(), time.Time{}
	if v := r.URL.Query().Get("from"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return failure.Field("from", "%q is not RFC 3339", v)
		}
		from = t
	}
	to = from.AddDate(0, 0, 30)
	if v := r.URL.Query().Get("to"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return failure.Field("to", "%q is not RFC 3339", v)
		}
		to = t
	}
	list, err := s.Booking.List(r.Context(), principal(r), from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"meetings": list})
	return nil
}

func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request) error {
	v, err := s.Booking.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) patchMeeting(w http.ResponseWriter, r *http.Request) error {
	var c booking.Change
	if err := decodeJSON(w, r, &c); err != nil {
		return err
	}
	v, err := s.Booking.Reschedule(r.Context(), principal(r), r.PathValue("id"), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) cancelMeeting(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	v, err := s.Booking.Cancel(r.Context(), principal(r), r.PathValue("id"), q.Get("scope"), q.Get("occurrence"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) chooseMeeting(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		StartTime string `json:"start_time"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	v, err := s.Booking.Choose(r.Context(), principal(r), r.PathValue("id"), in.StartTime)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// mailView is a mail of the outbox, without its body.
type mailView struct {
	ID        string     `json:"id"`
	MeetingID string     `json:"meeting_id,omitempty"`
	Kind      string     `json:"kind"`
	From      string     `json:"from"`
	To        []string   `json:"to"`
	Subject   string     `json:"subject"`
	MessageID string     `json:"message_id"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	Created   time.Time  `json:"created_at"`
	Sent      *time.Time `json:"sent_at,omitempty"`
	// Purged is when the body was dropped after the retention period
	// (CONVENE_OUTBOX_RETENTION).
	Purged *time.Time `json:"purged_at,omitempty"`
}

func (s *Server) listOutbox(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var fs failure.Fields
	limit := cmp.Or(queryLimit(&fs, r.URL.Query(), booking.MaxOutboxPage), mailPage)
	if err := fs.Err(); err != nil {
		return err
	}
	mails, err := s.Booking.Outbox(r.Context(), p, r.URL.Query().Get("meeting"), limit)
	if err != nil {
		return err
	}
	out := make([]mailView, len(mails))
	for i, m := range mails {
		out[i] = mailView{ID: m.ID, MeetingID: m.MeetingID, Kind: m.Kind, From: m.Sender, To: m.Recipients, Subject: m.Subject,
			MessageID: m.MessageID, Status: m.Status, Attempts: m.Attempts, LastError: m.LastError, Created: m.Created}
		if !m.Sent.IsZero() {
			sent := m.Sent
			out[i].Sent = &sent
		}
		if !m.Purged.IsZero() {
			purged := m.Purged
			out[i].Purged = &purged
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"mail": out})
	return nil
}

func (s *Server) rawMail(w http.ResponseWriter, r *http.Request) error {
	m, err := s.Booking.RawMail(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !m.Purged.IsZero() {
		return failure.New(failure.NotFound, "mail %s has no content: it was purged after the retention period (CONVENE_OUTBOX_RETENTION); its record stays", m.ID)
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Write(m.Raw)
	return nil
}
