package pages

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/mail/message"
	"github.com/convene/convene/internal/store"
)

// The outbox (mail Convene sent or holds, one mail's details and its raw
// bytes: a mail that carries someone's sign-in link opens for them and the
// owners only, booking.Service.RawMail), the mail received for the
// assistant with the verdict on its sender, the calendar sources that
// fail across the account's users (URLs redacted by the core), the audit
// log, and the overview.

// pageSize is how many rows the lists show at once.
const pageSize = 100

type outboxData struct {
	adminPage
	Mail []store.Mail
}

func (s *Server) adminOutbox(req *Request) error {
	if s.opts.Admin.Mail == nil {
		return unavailable("outbox")
	}
	ms, err := s.opts.Admin.Mail.Outbox(req.ctx(), req.principal(), "", pageSize)
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "admin_outbox", nil, outboxData{adminPage: req.adminNav(), Mail: ms})
}

// mailData is what a mail's page shows.
type mailData struct {
	adminPage
	Mail *store.Mail
	// Readable: the admin may read the bytes; else the page says why not.
	Readable bool
	// Message is the mail as read (its text), when readable.
	Message *message.Message
}

func (s *Server) adminMail(req *Request) error {
	if s.opts.Admin.Mail == nil {
		return unavailable("outbox")
	}
	id := req.R.PathValue("id")
	m, readable, err := s.opts.Admin.Mail.MailInfo(req.ctx(), req.principal(), id)
	if err != nil {
		return err
	}
	d := mailData{adminPage: req.adminNav(), Mail: m, Readable: readable}
	if readable {
		raw, err := s.opts.Admin.Mail.RawMail(req.ctx(), req.principal(), id)
		if err != nil {
			return err
		}
		if msg, err := message.Read(raw.Raw, message.Options{}); err == nil {
			d.Message = msg
		}
	}
	return req.Render(http.StatusOK, "admin_mail", nil, d)
}

// adminMailRaw serves a mail's bytes as text, to read in the browser.
func (s *Server) adminMailRaw(req *Request) error {
	if s.opts.Admin.Mail == nil {
		return unavailable("outbox")
	}
	m, err := s.opts.Admin.Mail.RawMail(req.ctx(), req.principal(), req.R.PathValue("id"))
	if err != nil {
		return err
	}
	h := req.W.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Content-Disposition", "inline")
	req.W.WriteHeader(http.StatusOK)
	req.W.Write(m.Raw)
	return nil
}

// received is a received message with its verdict decoded.
type received struct {
	store.InboxMessage
	Verdict *mailauth.Verdict
}

type inboxData struct {
	adminPage
	Messages []received
}

func (s *Server) adminInbox(req *Request) error {
	if s.opts.Admin.Inbox == nil {
		return unavailable("mail intake")
	}
	ms, err := s.opts.Admin.Inbox.Messages(req.ctx(), req.principal(), pageSize)
	if err != nil {
		return err
	}
	d := inboxData{adminPage: req.adminNav()}
	for _, m := range ms {
		r := received{InboxMessage: m}
		var v mailauth.Verdict
		if len(m.Verdict) > 0 && json.Unmarshal(m.Verdict, &v) == nil {
			r.Verdict = &v
		}
		d.Messages = append(d.Messages, r)
	}
	return req.Render(http.StatusOK, "admin_inbox", nil, d)
}

type calendarsData struct {
	adminPage
	Sources []calendar.FailingSource
	Policy  string
}

func (s *Server) adminCalendars(req *Request) error {
	if s.opts.Admin.Calendars == nil {
		return unavailable("calendars")
	}
	list, err := s.opts.Admin.Calendars.FailingSources(req.ctx(), req.principal())
	if err != nil {
		return err
	}
	return req.Render(http.StatusOK, "admin_calendars", nil, calendarsData{adminPage: req.adminNav(), Sources: list, Policy: calendar.FailurePolicy})
}

// auditRow is an entry of the audit log as the page shows it.
type auditRow struct {
	store.AuditEntry
	Details []detailView
}

// detailView is one particular of an entry.
type detailView struct {
	Key, Value string
}

type auditData struct {
	adminPage
	Entries []auditRow
	// Older is the link to the next page, "" at the end.
	Older string
}

// auditPage is how many entries the audit log page shows.
const auditPage = 50

func (s *Server) adminAudit(req *Request) error {
	var before int64
	if v := req.R.URL.Query().Get("before"); v != "" {
		before, _ = strconv.ParseInt(v, 10, 64) // a bad value shows the newest
	}
	es, err := s.opts.Accounts.AuditLog(req.ctx(), req.principal(), before, auditPage)
	if err != nil {
		return err
	}
	d := auditData{adminPage: req.adminNav()}
	for _, e := range es {
		row := auditRow{AuditEntry: e}
		var detail map[string]any
		if json.Unmarshal(e.Detail, &detail) == nil {
			for _, k := range sortedKeys(detail) {
				label := k // a particular the catalog does not word shows as the core names it
				if req.L.Has("audit.detail." + k) {
					label = req.L.T("audit.detail." + k)
				}
				row.Details = append(row.Details, detailView{Key: label, Value: detailValue(detail[k])})
			}
		}
		d.Entries = append(d.Entries, row)
	}
	if len(es) == auditPage {
		d.Older = "/admin/audit?before=" + strconv.FormatInt(es[len(es)-1].Seq, 10)
	}
	return req.Render(http.StatusOK, "admin_audit", nil, d)
}

// overviewData is what the admin overview shows: what needs the admin.
type overviewData struct {
	adminPage
	Account *store.Account
	// Reauthorize lists the apps that need re-authorization.
	Reauthorize []apps.AppView
	// Pending lists the domains not verified yet.
	Pending []string
	Users   int
	// Failing counts the calendar sources that fail; -1 when unknown.
	Failing int
}

func (s *Server) adminHome(req *Request) error {
	p := req.principal()
	acct, err := s.opts.Accounts.Account(req.ctx(), p)
	if err != nil {
		return err
	}
	d := overviewData{adminPage: req.adminNav(), Account: acct, Failing: -1}
	if s.opts.Admin.Apps != nil {
		list, err := s.opts.Admin.Apps.List(req.ctx(), p)
		if err != nil {
			return err
		}
		for _, a := range list {
			if a.State == store.InstallNeedsReauthorization {
				d.Reauthorize = append(d.Reauthorize, a)
			}
		}
	}
	ds, err := s.opts.Accounts.Domains(req.ctx(), p)
	if err != nil {
		return err
	}
	for _, dom := range ds {
		if !dom.Verified {
			d.Pending = append(d.Pending, dom.Name)
		}
	}
	us, err := s.opts.Accounts.Users(req.ctx(), p)
	if err != nil {
		return err
	}
	d.Users = len(us)
	if s.opts.Admin.Calendars != nil {
		list, err := s.opts.Admin.Calendars.FailingSources(req.ctx(), p)
		if err != nil {
			return err
		}
		d.Failing = len(list)
	}
	return req.Render(http.StatusOK, "admin", nil, d)
}

// roles are the roles an admin may give, for the role select.
var roles = []store.Role{store.RoleMember, store.RoleAdmin, store.RoleOwner}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// detailValue writes a value of an audit entry's detail: lists joined
// with commas, an empty value as a dash.
func detailValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case string:
		if x == "" {
			return "—"
		}
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = detailValue(e)
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, ", ")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
