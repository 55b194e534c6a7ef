package pages

import (
	"context"
	"crypto/hmac"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/apps"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/store"
)

// The admin pages (access level admins): the marketplace of video apps,
// managed domains, users, the default video provider, invitation
// templates and branding, the outbox and received mail, calendar sources
// that fail, and the audit log. Each page renders what the core answers
// for the signed-in admin's principal: the core checks the role and the
// account on every call, and writes the audit log.

// AdminOptions are the core services the admin pages use besides
// Options.Accounts; a nil one makes its pages answer 503.
type AdminOptions struct {
	// Apps is the marketplace.
	Apps *apps.Service
	// Mail is the outbox: *booking.Service.
	Mail AdminMail
	// Inbox is the mail received for the assistant: *inbox.Service.
	Inbox AdminInbox
	// Calendars finds the calendar sources that fail: *calendar.Service.
	Calendars AdminCalendars
	// MailDNS gives a domain's DKIM, SPF and DMARC records:
	// *dkimsign.Keys.
	MailDNS AdminMailDNS
}

// AdminMail is the outbox as the admin pages read it.
type AdminMail interface {
	Outbox(ctx context.Context, p account.Principal, meetingID string, limit int) ([]store.Mail, error)
	MailInfo(ctx context.Context, p account.Principal, id string) (*store.Mail, bool, error)
	RawMail(ctx context.Context, p account.Principal, id string) (*store.Mail, error)
}

// AdminInbox is the received mail as the admin pages read it.
type AdminInbox interface {
	Messages(ctx context.Context, p account.Principal, limit int) ([]store.InboxMessage, error)
}

// AdminCalendars finds the account's failing calendar sources.
type AdminCalendars interface {
	FailingSources(ctx context.Context, p account.Principal) ([]calendar.FailingSource, error)
}

// AdminMailDNS gives the records a managed domain publishes for mail.
type AdminMailDNS interface {
	Records(ctx context.Context, accountID, domain string) ([]dkimsign.Record, error)
}

// AdminDKIM rotates a domain's DKIM key; *dkimsign.Keys is one. When
// MailDNS is also an AdminDKIM, the domains page offers the rotation.
type AdminDKIM interface {
	Rotate(ctx context.Context, p account.Principal, domain string) (*dkimsign.Record, error)
	Activate(ctx context.Context, p account.Principal, domain string) (*dkimsign.Activation, error)
	Cancel(ctx context.Context, p account.Principal, domain string) (*dkimsign.Record, error)
}

// adminRoutes are the admin pages' routes.
func (s *Server) adminRoutes() []pageRoute {
	return []pageRoute{
		{method: "GET", path: "/admin", access: admins, handle: s.adminHome},
		{method: "GET", path: "/admin/apps", access: admins, handle: s.adminApps},
		{method: "POST", path: "/admin/apps/default", access: admins, handle: s.adminDefaultProvider},
		{method: "POST", path: "/admin/apps/invitations", access: admins, handle: s.adminInvitations},
		{method: "GET", path: "/admin/apps/{app}", access: admins, handle: s.adminApp},
		{method: "POST", path: "/admin/apps/{app}/pre-approve", access: admins, handle: s.adminPreApprove},
		{method: "GET", path: "/admin/apps/{app}/add", access: admins, handle: s.adminAdd},
		{method: "POST", path: "/admin/apps/{app}/key", access: admins, handle: s.adminAddKey},
		{method: "POST", path: "/admin/apps/{app}/personal", access: admins, handle: s.adminAddPersonal},
		{method: "POST", path: "/admin/apps/{app}/domains", access: admins, handle: s.adminAppDomains},
		{method: "POST", path: "/admin/apps/{app}/connections/{user}/revoke", access: admins, handle: s.adminRevokeConnection},
		{method: "GET", path: "/admin/apps/{app}/uninstall", access: admins, handle: s.adminUninstallForm},
		{method: "POST", path: "/admin/apps/{app}/uninstall", access: admins, handle: s.adminUninstall},
		{method: "GET", path: "/admin/domains", access: admins, handle: s.adminDomains},
		{method: "POST", path: "/admin/domains", access: admins, handle: s.adminAddDomain},
		{method: "POST", path: "/admin/domains/{domain}/verify", access: admins, handle: s.adminVerifyDomain},
		{method: "POST", path: "/admin/domains/{domain}/dkim/rotate", access: admins, handle: s.adminRotateDKIM},
		{method: "POST", path: "/admin/domains/{domain}/dkim/activate", access: admins, handle: s.adminActivateDKIM},
		{method: "POST", path: "/admin/domains/{domain}/dkim/cancel", access: admins, handle: s.adminCancelDKIM},
		{method: "GET", path: "/admin/domains/{domain}/remove", access: admins, handle: s.adminRemoveDomainForm},
		{method: "POST", path: "/admin/domains/{domain}/remove", access: admins, handle: s.adminRemoveDomain},
		{method: "GET", path: "/admin/users", access: admins, handle: s.adminUsers},
		{method: "GET", path: "/admin/users/new", access: admins, handle: s.adminNewUserForm},
		{method: "POST", path: "/admin/users/new", access: admins, handle: s.adminNewUser},
		{method: "GET", path: "/admin/users/{email}", access: admins, handle: s.adminUser},
		{method: "POST", path: "/admin/users/{email}/role", access: admins, handle: s.adminUserRole},
		{method: "POST", path: "/admin/users/{email}/disable", access: admins, handle: s.adminUserDisable},
		{method: "POST", path: "/admin/users/{email}/enable", access: admins, handle: s.adminUserEnable},
		{method: "POST", path: "/admin/users/{email}/tokens/revoke", access: admins, handle: s.adminRevokeTokens},
		{method: "GET", path: "/admin/users/{email}/remove", access: admins, handle: s.adminRemoveUserForm},
		{method: "POST", path: "/admin/users/{email}/remove", access: admins, handle: s.adminRemoveUser},
		{method: "GET", path: "/admin/invitation", access: admins, handle: s.adminInvitation},
		{method: "POST", path: "/admin/invitation", access: admins, handle: s.adminInvitationSubmit, maxBody: maxInvitationForm},
		{method: "POST", path: "/admin/invitation/preview", access: admins, handle: s.adminInvitationPreview, maxBody: maxInvitationForm},
		{method: "GET", path: "/admin/mail", access: admins, handle: s.adminOutbox},
		{method: "GET", path: "/admin/mail/{id}", access: admins, handle: s.adminMail},
		{method: "GET", path: "/admin/mail/{id}/raw", access: admins, handle: s.adminMailRaw},
		{method: "GET", path: "/admin/inbox", access: admins, handle: s.adminInbox},
		{method: "GET", path: "/admin/calendars", access: admins, handle: s.adminCalendars},
		{method: "GET", path: "/admin/audit", access: admins, handle: s.adminAudit},
	}
}

// adminSections are the admin pages' own navigation, in its order.
var adminSections = []struct{ path, key string }{
	{"/admin", "admin.nav.overview"},
	{"/admin/apps", "admin.nav.apps"},
	{"/admin/domains", "admin.nav.domains"},
	{"/admin/users", "admin.nav.users"},
	{"/admin/invitation", "admin.nav.invitation"},
	{"/admin/mail", "admin.nav.mail"},
	{"/admin/inbox", "admin.nav.inbox"},
	{"/admin/calendars", "admin.nav.calendars"},
	{"/admin/audit", "admin.nav.audit"},
}

// adminPage is what every admin page shows besides its own data: the
// admin navigation with the current section, and times in the viewer's
// zone.
type adminPage struct {
	Sections []navLink
	loc      *time.Location
}

// When is t in the viewer's time zone.
func (a adminPage) When(t time.Time) when {
	if t.IsZero() {
		return when{}
	}
	if a.loc == nil {
		return when{At: t.UTC()}
	}
	return when{At: t.In(a.loc)}
}

// adminNav returns the admin navigation for the request's path: the
// section whose path is the longest prefix of it is current.
func (req *Request) adminNav() adminPage {
	cur := ""
	for _, sec := range adminSections {
		if (req.R.URL.Path == sec.path || strings.HasPrefix(req.R.URL.Path, sec.path+"/")) && len(sec.path) > len(cur) {
			cur = sec.path
		}
	}
	out := adminPage{Sections: make([]navLink, len(adminSections)), loc: time.UTC}
	if req.Session != nil {
		if l, err := time.LoadLocation(req.Session.User.TimeZone); err == nil {
			out.loc = l
		}
	}
	for i, sec := range adminSections {
		out.Sections[i] = navLink{Path: sec.path, Label: req.L.T(sec.key), Current: sec.path == cur}
	}
	return out
}

// principal is the signed-in admin's principal: every core call of the
// admin pages goes through it (the core checks the role and the account).
func (req *Request) principal() account.Principal { return req.Session.Principal }

// ctx is the request's context.
func (req *Request) ctx() context.Context { return req.R.Context() }

// unavailable is the failure of a page whose service Convene runs without.
func unavailable(what string) error {
	return failure.New(failure.Unavailable, "this Convene serves no %s", what)
}

// linkToken is the CSRF token a link that changes something carries in its
// query (csrf=): a link cannot send a form field or a header, and the
// provider's consent page it leads to is off-site, where the
// Content-Security-Policy's form-action 'self' forbids a form to redirect.
func (req *Request) linkToken() string { return req.CSRF() }

// checkLinkToken refuses a GET that changes something unless it carries
// the session's CSRF token and comes from this site.
func (req *Request) checkLinkToken() error {
	given := req.R.URL.Query().Get(csrfField)
	want := req.s.csrfToken("session", req.Session.Principal.SessionID)
	if site := req.R.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return errCSRF()
	}
	if given == "" || !hmac.Equal([]byte(given), []byte(want)) {
		return errCSRF()
	}
	return nil
}

// when is a time as the admin pages show it: in the viewer's time zone.
type when struct {
	At time.Time // in the viewer's zone
}

// ISO is the instant for <time datetime>.
func (w when) ISO() string { return w.At.UTC().Format(time.RFC3339) }

// String is the date and time, with the zone's abbreviation.
func (w when) String() string {
	if w.At.IsZero() {
		return ""
	}
	return w.At.Format("2006-01-02 15:04 MST")
}

// logoSource is the CSP source of a logo URL (its scheme and host), or ""
// when the URL is not one the pages may show.
var hostRE = regexp.MustCompile(`^[a-z0-9.-]+(:[0-9]{1,5})?$`)

func logoSource(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !hostRE.MatchString(strings.ToLower(u.Host)) {
		return ""
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}

// seeOther redirects to a path of the admin pages with a flash message.
func (req *Request) seeOther(path, flash string) error {
	req.Redirect(path, flash)
	return nil
}

// form is the request's posted form.
func (req *Request) form() *Form { return formOf(req.R) }

// takeFields puts a core failure into the form like takeFailure, with the
// form's own names for the core's fields (fields maps the core's name to
// the form's), worded by the catalog's "err.admin.FIELD" in French.
func (req *Request) takeFields(f *Form, err error, fields map[string]string) (int, bool) {
	fe, ok := failure.As(err)
	if !ok || fe.Kind == failure.Internal {
		return 0, false
	}
	for _, p := range fe.Fields {
		name, known := fields[p.Field]
		if !known {
			continue
		}
		msg := p.Message
		if req.L.Lang != "en" && req.L.Has("err.admin."+p.Field) {
			msg = req.L.T("err.admin." + p.Field)
		}
		f.Errors[name] = msg
	}
	if len(f.Errors) == 0 {
		f.Error = req.failureText(fe)
	}
	return statusOf(fe.Kind), true
}

// status of a failure for a page that shows it in its form.
func statusOfErr(err error) int {
	if fe, ok := failure.As(err); ok {
		return statusOf(fe.Kind)
	}
	return http.StatusInternalServerError
}
