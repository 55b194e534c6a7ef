package pages

import (
	"net/http"
	"strconv"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Managed domains: the records each publishes (the TXT record that proves
// it, then DKIM, SPF and DMARC for mail), Verify, remove, and the DKIM key
// rotation (Rotate, then Activate once the new record is published). On the
// built-in Zoom sandbox, names reserved for testing verify without DNS
// (account.IsReservedName): the page says so.

// dnsRecord is a record a domain publishes.
type dnsRecord struct {
	Purpose, Type, Name, Value string
	// ID prefixes the ids of its name and value, for the copy buttons.
	ID string
	// State is a DKIM key's (active, pending, retiring, retired), with
	// when a retiring key's record may go.
	State       string
	RemoveAfter time.Time
}

// domainRow is a managed domain as the page shows it.
type domainRow struct {
	store.Domain
	Records []dnsRecord
	// ByReservedName: verified without DNS, a name reserved for testing
	// on the sandbox; Reserved: such a name not verified yet, which Verify
	// accepts without DNS here.
	ByReservedName, Reserved bool
	// DKIMPending: a key rotation waits for its record and Activate;
	// CanRotate: this server signs mail and no rotation is pending.
	DKIMPending, CanRotate bool
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
				rec := dnsRecord{Purpose: r.Purpose, Type: r.Type, Name: r.Name, Value: r.Value, ID: id + "-" + r.Purpose, State: r.State}
				if r.Selector != "" {
					rec.ID += "-" + r.Selector
				}
				if r.RemoveAfter != nil {
					rec.RemoveAfter = *r.RemoveAfter
				}
				row.DKIMPending = row.DKIMPending || r.State == store.DKIMPending
				row.Records = append(row.Records, rec)
			}
			_, rotates := s.opts.Admin.MailDNS.(AdminDKIM)
			row.CanRotate = rotates && !row.DKIMPending
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

// adminDKIM returns the key rotation, or NotFound when this server has
// none.
func (s *Server) adminDKIM() (AdminDKIM, error) {
	if r, ok := s.opts.Admin.MailDNS.(AdminDKIM); ok {
		return r, nil
	}
	return nil, failure.New(failure.NotFound, "this server does not sign mail")
}

// dkimAction runs a rotation step and shows the page again with its
// refusal, or goes back to it with flash.
func (s *Server) dkimAction(req *Request, step func(AdminDKIM) error, flash string) error {
	rot, err := s.adminDKIM()
	if err == nil {
		err = step(rot)
	}
	if err != nil {
		f := &Form{Errors: map[string]string{}}
		status, ok := req.takeFailure(f, err)
		if !ok || status == http.StatusForbidden || status == http.StatusNotFound {
			return err
		}
		return s.domainsPage(req, f, status)
	}
	return req.seeOther("/admin/domains", flash)
}

func (s *Server) adminRotateDKIM(req *Request) error {
	return s.dkimAction(req, func(r AdminDKIM) error {
		_, err := r.Rotate(req.ctx(), req.principal(), req.R.PathValue("domain"))
		return err
	}, "dkim_rotated")
}

func (s *Server) adminActivateDKIM(req *Request) error {
	return s.dkimAction(req, func(r AdminDKIM) error {
		_, err := r.Activate(req.ctx(), req.principal(), req.R.PathValue("domain"))
		return err
	}, "dkim_activated")
}

func (s *Server) adminCancelDKIM(req *Request) error {
	return s.dkimAction(req, func(r AdminDKIM) error {
		_, err := r.Cancel(req.ctx(), req.principal(), req.R.PathValue("domain"))
		return err
	}, "dkim_cancelled")
}
