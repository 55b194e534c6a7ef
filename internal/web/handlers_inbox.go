package web

import (
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/store"
)

// MailRecords gives the DNS records that let a managed domain's mail be
// accepted (DKIM, SPF, DMARC); *dkimsign.Keys is one.
type MailRecords interface {
	Records(ctx context.Context, accountID, domain string) ([]dkimsign.Record, error)
}

// inboxRoutes: the mail received for the assistant, for admins.
func (s *Server) inboxRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/inbox", auth: authToken, admin: true,
			summary: "Mail received for the account's assistant, newest first, with who sent it and whether that was proven",
			query:   []param{{name: "limit", typ: "integer", doc: "at most this many (1 to 1000, default 100)"}},
			resp:    map[int]string{200: "Inbox"}, handle: s.listInbox},
		{method: "GET", path: "/api/v1/inbox/{id}/raw", auth: authToken, admin: true,
			summary: "One received message as it arrived (message/rfc822), until the retention period ends",
			resp:    map[int]string{200: ""}, handle: s.rawInbox},
	}
}

// inboxView is a received message, without its content.
type inboxView struct {
	ID            string          `json:"id"`
	MessageID     string          `json:"message_id"`
	From          string          `json:"from"`
	Subject       string          `json:"subject"`
	Recipient     string          `json:"recipient"`
	Source        string          `json:"source"`
	RemoteIP      string          `json:"remote_ip,omitempty"`
	MailFrom      string          `json:"mail_from,omitempty"`
	Size          int64           `json:"size"`
	Received      time.Time       `json:"received_at"`
	Status        string          `json:"status"`
	DuplicateOf   string          `json:"duplicate_of,omitempty"`
	Authenticated bool            `json:"authenticated"`
	SenderUserID  string          `json:"sender_user_id,omitempty"`
	Reason        string          `json:"reason"`
	Verdict       json.RawMessage `json:"verdict,omitempty"`
	Processed     *time.Time      `json:"processed_at,omitempty"`
	Purged        *time.Time      `json:"purged_at,omitempty"`
}

func viewInbox(m *store.InboxMessage) inboxView {
	v := inboxView{ID: m.ID, MessageID: m.MessageID, From: m.HeaderFrom, Subject: m.Subject, Recipient: m.Recipient, Source: m.Source,
		RemoteIP: m.RemoteIP, MailFrom: m.MailFrom, Size: m.Size, Received: m.Received, Status: m.Status, DuplicateOf: m.DuplicateOf,
		Authenticated: m.Authenticated, SenderUserID: m.SenderUserID, Reason: m.Reason}
	if json.Valid(m.Verdict) {
		v.Verdict = m.Verdict
	}
	if !m.Processed.IsZero() {
		at := m.Processed
		v.Processed = &at
	}
	if !m.Purged.IsZero() {
		at := m.Purged
		v.Purged = &at
	}
	return v
}

func (s *Server) listInbox(w http.ResponseWriter, r *http.Request) error {
	if s.Inbox == nil {
		return failure.New(failure.NotFound, "this server receives no mail")
	}
	var fs failure.Fields
	limit := cmp.Or(queryLimit(&fs, r.URL.Query(), store.MaxInboxPage), mailPage)
	if err := fs.Err(); err != nil {
		return err
	}
	ms, err := s.Inbox.Messages(r.Context(), principal(r), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": views(ms, viewInbox)})
	return nil
}

func (s *Server) rawInbox(w http.ResponseWriter, r *http.Request) error {
	if s.Inbox == nil {
		return failure.New(failure.NotFound, "this server receives no mail")
	}
	m, err := s.Inbox.Raw(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "message/rfc822")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(m.Raw)
	return nil
}

// dnsRecord is a record a managed domain publishes.
type dnsRecord = dkimsign.Record

// domainRecords lists what a domain publishes: the verification record,
// then DKIM, SPF and DMARC.
func (s *Server) domainRecords(ctx context.Context, p account.Principal, d *store.Domain) ([]dnsRecord, error) {
	out := []dnsRecord{{Purpose: "verification", Type: "TXT", Name: account.TXTName(d.Name), Value: d.TXTValue,
		Note: "Proves the account controls the domain; POST /api/v1/domains/{domain}/verify once published."}}
	if s.MailDNS == nil {
		return out, nil
	}
	more, err := s.MailDNS.Records(ctx, p.AccountID, d.Name)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}
