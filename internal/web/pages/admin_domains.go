package pages

import (
	"net/http"
	"strconv"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Managed domains: the records each publishes (the TXT record that proves
// it, then DKIM, SPF and DMARC for mail), Verify, and remove. On the
// built-in Zoom sandbox, names reserved for testing verify without DNS
// (account.IsReservedName): the page says so.

// dnsRecord is a record a domain publishes.
type dnsRecord struct {
	Purpose, Type, Name, Value string
	// ID prefixes the ids of its name and value, for the copy buttons.
	ID string
}

// domainRow is a managed domain as the page shows it.
type domainRow struct {
	store.Domain
	Records []dnsRecord
	// ByReservedName: verified without DNS, a name reserved for testing
	// on the sandbox; Reserved: such a name not verified yet, which Verify
	// accepts without DNS here.
	ByReservedName, Reserved bool
}

// domainsData is what the domains page shows.
type domainsData struct {
	adminPage
	Domains []domainRow
}

// domainsPage renders the page with form: the add form's values and
// errors, or the refusal of a verify or remove.
func (s *Server) domainsPage(req *Request, form *Form, status int) error {
	ds, err := s.opts.Accounts.Domains(req.ctx(), req.principal())
	if err != nil {
		return err
	}
	d := domainsData{adminPage: req.adminNav()}
	for i, dom := range ds {
		row := domainRow{Domain: dom, ByReservedName: dom.VerifiedBy == store.VerifiedByReservedName,
			Reserved: !dom.Verified && req.s.opts.Sandboxed && account.IsReservedName(dom.Name)}
		id := "d" + strconv.Itoa(i)
		row.Records = append(row.Records, dnsRecord{Purpose: "verification", Type: "TXT", Name: account.TXTName(dom.Name), Value: dom.TXTValue, ID: id + "-verification"})
		if s.opts.Admin.MailDNS != nil {
			more, err := s.opts.Admin.MailDNS.Records(req.ctx(), req.principal().AccountID, dom.Name)
			if err != nil {
				return err
			}
			for _, r := range more {
				row.Records = append(row.Records, dnsRecord{Purpose: r.Purpose, Type: r.Type, Name: r.Name, Value: r.Value, ID: id + "-" + r.Purpose})
			}
		}
		d.Domains = append(d.Domains, row)
	}
	return req.Render(status, "admin_domains", form, d)
}

func (s *Server) adminDomains(req *Request) error { return s.domainsPage(req, nil, http.StatusOK) }

func (s *Server) adminAddDomain(req *Request) error {
	f := req.form()
	if _, err := s.opts.Accounts.AddDomain(req.ctx(), req.principal(), f.Value("domain")); err != nil {
		status, ok := req.takeFields(f, err, map[string]string{"domain": "domain"})
		if !ok {
			return err
		}
		return s.domainsPage(req, f, status)
	}
	return req.seeOther("/admin/domains", "domain_added")
}

func (s *Server) adminVerifyDomain(req *Request) error {
	if _, err := s.opts.Accounts.VerifyDomain(req.ctx(), req.principal(), req.R.PathValue("domain")); err != nil {
		f := &Form{Errors: map[string]string{}}
		status, ok := req.takeFailure(f, err)
		if !ok || status == http.StatusForbidden {
			return err
		}
		return s.domainsPage(req, f, status)
	}
	return req.seeOther("/admin/domains", "domain_verified")
}

func (s *Server) adminRemoveDomainForm(req *Request) error {
	name := req.R.PathValue("domain")
	ds, err := s.opts.Accounts.Domains(req.ctx(), req.principal())
	if err != nil {
		return err
	}
	found := false
	for _, d := range ds {
		found = found || d.Name == name
	}
	if !found {
		return failure.New(failure.NotFound, "%s is not a domain of this account", name)
	}
	return req.Render(http.StatusOK, "admin_confirm", nil, confirmData{adminPage: req.adminNav(),
		Title: req.L.T("domain_remove.title", name), Intro: req.L.T("domain_remove.intro"),
		Points: []string{req.L.T("domain_remove.point_users"), req.L.T("domain_remove.point_apps"), req.L.T("domain_remove.point_again")},
		Action: "/admin/domains/" + name + "/remove", Submit: req.L.T("domain_remove.submit", name), Back: "/admin/domains"})
}

func (s *Server) adminRemoveDomain(req *Request) error {
	if err := s.opts.Accounts.RemoveDomain(req.ctx(), req.principal(), req.R.PathValue("domain")); err != nil {
		f := &Form{Errors: map[string]string{}}
		status, ok := req.takeFailure(f, err)
		if !ok || status == http.StatusForbidden || status == http.StatusNotFound {
			return err
		}
		return s.domainsPage(req, f, status)
	}
	return req.seeOther("/admin/domains", "domain_removed")
}
