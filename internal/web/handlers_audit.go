package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// auditRoutes: the audit log of admin actions.
func (s *Server) auditRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/audit", auth: authToken, admin: true,
			summary: "The audit log of the account's admin actions (apps, domains, users, tokens, settings, templates, branding), newest first, with who did each, how and when",
			query: []param{{name: "limit", typ: "integer", doc: "at most this many (1 to 200, default 50)"},
				{name: "before", typ: "integer", doc: "entries older than the entry with this seq (the next page: the last seq of the previous one)"}},
			resp: map[int]string{200: "AuditLog"}, handle: s.listAudit},
	}
}

// auditView is an entry of the audit log.
type auditView struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    string          `json:"actor_id,omitempty"`
	ActorEmail string          `json:"actor_email"`
	Via        string          `json:"via"`
	Action     string          `json:"action"`
	Target     string          `json:"target"`
	Detail     json.RawMessage `json:"detail,omitempty"`
}

func viewAudit(e *store.AuditEntry) auditView {
	v := auditView{Seq: e.Seq, At: e.At, ActorID: e.ActorID, ActorEmail: e.ActorEmail, Via: e.Via, Action: e.Action, Target: e.Target}
	if json.Valid(e.Detail) {
		v.Detail = e.Detail
	}
	return v
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var fs failure.Fields
	limit := queryLimit(&fs, q, account.MaxAuditPage)
	if err := fs.Err(); err != nil {
		return err
	}
	var before int64
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return failure.Field("before", "%q is not the seq of an entry", v)
		}
		before = n
	}
	entries, err := s.Accounts.AuditLog(r.Context(), principal(r), before, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": views(entries, viewAudit)})
	return nil
}
