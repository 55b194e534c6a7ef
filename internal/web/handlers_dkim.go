package web

import (
	"context"
	"net/http"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/mail/dkimsign"
)

// DKIMRotation rotates the DKIM keys of managed domains; *dkimsign.Keys
// is one. The core checks the admin role, the account, DNS and writes the
// audit log.
type DKIMRotation interface {
	Rotate(ctx context.Context, p account.Principal, domain string) (*dkimsign.Record, error)
	Activate(ctx context.Context, p account.Principal, domain string) (*dkimsign.Activation, error)
	Cancel(ctx context.Context, p account.Principal, domain string) (*dkimsign.Record, error)
	DKIMRecords(ctx context.Context, accountID, domain string) ([]dkimsign.Record, error)
}

// dkimRoutes: a domain's DKIM keys and their rotation, for admins.
func (s *Server) dkimRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/domains/{domain}/dkim", auth: authToken, admin: true,
			summary: "The domain's DKIM keys (selector, state: active, pending, retiring or retired, dates) with the records to publish",
			resp:    map[int]string{200: "DKIMKeyList"}, handle: s.listDKIM},
		{method: "POST", path: "/api/v1/domains/{domain}/dkim/rotate", auth: authToken, admin: true,
			summary: "Start a DKIM key rotation: a new key under the next selector, pending until its record is published and it is activated",
			resp:    map[int]string{201: "DNSRecord", 409: "Problem"}, handle: s.rotateDKIM},
		{method: "POST", path: "/api/v1/domains/{domain}/dkim/activate", auth: authToken, admin: true,
			summary: "Sign with the pending DKIM key once DNS shows its record; the old key retires (its record stays published 7 days)",
			resp:    map[int]string{200: "DKIMActivation", 409: "Problem", 422: "Problem"}, handle: s.activateDKIM},
		{method: "DELETE", path: "/api/v1/domains/{domain}/dkim/pending", auth: authToken, admin: true,
			summary: "Cancel the pending DKIM key rotation: the new key's private half is deleted, it never signs, and its selector is not used again",
			resp:    map[int]string{200: "DNSRecord", 409: "Problem"}, handle: s.cancelDKIM},
	}
}

func (s *Server) dkim() (DKIMRotation, error) {
	if r, ok := s.MailDNS.(DKIMRotation); ok {
		return r, nil
	}
	return nil, failure.New(failure.NotFound, "this server does not sign mail")
}

func (s *Server) listDKIM(w http.ResponseWriter, r *http.Request) error {
	rot, err := s.dkim()
	if err != nil {
		return err
	}
	p := principal(r)
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	d, err := s.Accounts.Domain(r.Context(), p, r.PathValue("domain"))
	if err != nil {
		return err
	}
	// The first key is made if needed, as in GET /api/v1/domains.
	if _, err := s.MailDNS.Records(r.Context(), p.AccountID, d.Name); err != nil {
		return err
	}
	keys, err := rot.DKIMRecords(r.Context(), p.AccountID, d.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": d.Name, "keys": keys})
	return nil
}

func (s *Server) rotateDKIM(w http.ResponseWriter, r *http.Request) error {
	rot, err := s.dkim()
	if err != nil {
		return err
	}
	rec, err := rot.Rotate(r.Context(), principal(r), r.PathValue("domain"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rec)
	return nil
}

func (s *Server) activateDKIM(w http.ResponseWriter, r *http.Request) error {
	rot, err := s.dkim()
	if err != nil {
		return err
	}
	a, err := rot.Activate(r.Context(), principal(r), r.PathValue("domain"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) cancelDKIM(w http.ResponseWriter, r *http.Request) error {
	rot, err := s.dkim()
	if err != nil {
		return err
	}
	rec, err := rot.Cancel(r.Context(), principal(r), r.PathValue("domain"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}
