package web

import (
	"net/http"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if s.Health != nil {
		if err := s.Health(r.Context()); err != nil {
			s.Log.Error("health check failed", "err", err)
			return failure.New(failure.Unavailable, "the database does not answer")
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.Version})
	return nil
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	var in account.SetupInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	operator := false
	if tok := bearer(r); tok != "" {
		const route = "POST /api/v1/setup"
		client, err := s.allowAttempt(r, route)
		if err != nil {
			return err
		}
		if !s.Accounts.IsOperator(tok) {
			err := failure.New(failure.Unauthenticated, "the bearer token is not the operator token")
			s.authFailed(r, client, route, err, "") // no hint of an operator secret
			return err
		}
		operator = true
	}
	res, err := s.Accounts.Setup(r.Context(), in, operator)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"account_id": res.Account.ID, "user_id": res.User.ID, "token": res.Token})
	return nil
}

// userView is the JSON form of a user.
type userView struct {
	ID              string          `json:"id"`
	Email           string          `json:"email"`
	Name            string          `json:"name"`
	Role            store.Role      `json:"role"`
	TimeZone        string          `json:"timezone"`
	Language        string          `json:"language"`
	WorkingHours    rawJSON         `json:"working_hours"`
	DefaultDuration int             `json:"default_duration"`
	VideoProvider   string          `json:"video_provider"`
	Buffers         account.Buffers `json:"buffers"`
	MinNotice       int             `json:"min_notice"`
	Created         time.Time       `json:"created_at"`
	Disabled        bool            `json:"disabled"`
	DisabledAt      *time.Time      `json:"disabled_at,omitempty"`
}

// views turns stored rows into their JSON forms.
func views[T, V any](rows []T, view func(*T) V) []V {
	out := make([]V, len(rows))
	for i := range rows {
		out[i] = view(&rows[i])
	}
	return out
}

// rawJSON is stored JSON written as is.
type rawJSON []byte

// MarshalJSON implements json.Marshaler.
func (b rawJSON) MarshalJSON() ([]byte, error) {
	if len(b) == 0 {
		return []byte("{}"), nil
	}
	return b, nil
}

func viewUser(u *store.User) userView {
	return userView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, TimeZone: u.TimeZone, Language: u.Language,
		WorkingHours: rawJSON(u.WorkingHours), DefaultDuration: u.DefaultDuration, VideoProvider: u.VideoProvider,
		Buffers: account.Buffers{Before: u.BufferBefore, After: u.BufferAfter}, MinNotice: u.MinNotice, Created: u.Created,
		Disabled: !u.Disabled.IsZero(), DisabledAt: timePtr(u.Disabled)}
}

// timePtr returns &t, or nil for the zero time (omitted from JSON).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	u, err := s.Accounts.User(r.Context(), p, p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

func (s *Server) patchMe(w http.ResponseWriter, r *http.Request) error {
	var patch account.UserPatch
	if err := decodeJSON(w, r, &patch); err != nil {
		return err
	}
	u, err := s.Accounts.UpdateMe(r.Context(), principal(r), patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewUser(u))
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.Accounts.Users(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := views(us, viewUser)
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in account.NewUser
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	u, secret, err := s.Accounts.CreateUser(r.Context(), principal(r), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": viewUser(u), "token": secret})
	return nil
}

// tokenView is the JSON form of a token, without its secret.
type tokenView struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Created  time.Time  `json:"created_at"`
	LastUsed *time.Time `json:"last_used_at,omitempty"`
}

func viewToken(t *store.Token) tokenView {
	v := tokenView{ID: t.ID, Name: t.Name, Created: t.Created}
	if !t.LastUsed.IsZero() {
		lu := t.LastUsed
		v.LastUsed = &lu
	}
	return v
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.Accounts.Tokens(r.Context(), principal(r))
	if err != nil {
		return err
	}
	out := views(ts, viewToken)
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, secret, err := s.Accounts.CreateToken(r.Context(), principal(r), in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": viewToken(t), "secret": secret})
	return nil
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.DeleteToken(r.Context(), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// domainView is the JSON form of a managed domain.
type domainView struct {
	Domain     string     `json:"domain"`
	Verified   bool       `json:"verified"`
	TXTName    string     `json:"txt_name"`
	TXTValue   string     `json:"txt_value"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	// VerifiedBy says how: "dns", or "reserved-name (sandbox)" for a name
	// reserved for testing on the built-in Zoom sandbox.
	VerifiedBy string    `json:"verified_by,omitempty"`
	Created    time.Time `json:"created_at"`
	// DNSRecords are what the domain publishes, in GET /api/v1/domains.
	DNSRecords []dnsRecord `json:"dns_records,omitempty"`
}

func viewDomain(d *store.Domain) domainView {
	v := domainView{Domain: d.Name, Verified: d.Verified, TXTName: account.TXTName(d.Name), TXTValue: d.TXTValue, Created: d.Created}
	if d.Verified {
		at := d.VerifiedAt
		v.VerifiedAt, v.VerifiedBy = &at, d.VerifiedBy
	}
	return v
}

func (s *Server) listDomains(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	ds, err := s.Accounts.Domains(r.Context(), p)
	if err != nil {
		return err
	}
	out := views(ds, viewDomain)
	for i := range ds {
		if out[i].DNSRecords, err = s.domainRecords(r.Context(), p, &ds[i]); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"domains": out})
	return nil
}

func (s *Server) addDomain(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Domain string `json:"domain"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.Accounts.AddDomain(r.Context(), principal(r), in.Domain)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewDomain(d))
	return nil
}

func (s *Server) verifyDomain(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Accounts.VerifyDomain(r.Context(), principal(r), r.PathValue("domain"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"domain": d.Name, "verified": true, "verified_by": d.VerifiedBy})
	return nil
}

func (s *Server) removeDomain(w http.ResponseWriter, r *http.Request) error {
	if err := s.Accounts.RemoveDomain(r.Context(), principal(r), r.PathValue("domain")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// accountView is the JSON form of an account.
type accountView struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Language             string `json:"language"`
	DefaultVideoProvider string `json:"default_video_provider"`
	// Invitations is who mails the invitations of meetings whose
	// organizer has an app calendar: "convene" or "provider".
	Invitations string  `json:"invitations"`
	Branding    rawJSON `json:"branding"`
	Invitation  rawJSON `json:"invitation"`
	// AssistantAddress is the address organizers write to, as in effect
	// (the account's setting or the default); "" without a verified
	// domain.
	AssistantAddress string    `json:"assistant_address"`
	Created          time.Time `json:"created_at"`
}

func viewAccount(a *store.Account) accountView {
	inv := a.Invitations
	if inv == "" {
		inv = store.InvitationsConvene
	}
	return accountView{ID: a.ID, Name: a.Name, Language: a.Language, DefaultVideoProvider: a.DefaultVideoProvider, Invitations: inv,
		Branding: rawJSON(a.Branding), Invitation: rawJSON(a.Templates), Created: a.Created}
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Accounts.Account(r.Context(), principal(r))
	if err != nil {
		return err
	}
	return s.writeAccount(w, r, a)
}

// writeAccount answers with the account and its assistant address.
func (s *Server) writeAccount(w http.ResponseWriter, r *http.Request, a *store.Account) error {
	v := viewAccount(a)
	addr, err := s.Accounts.AssistantAddress(r.Context(), a.ID)
	if err != nil {
		return err
	}
	v.AssistantAddress = addr
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) patchAccount(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name                 *string           `json:"name"`
		Language             *string           `json:"language"`
		DefaultVideoProvider *string           `json:"default_video_provider"`
		Invitation           *invite.Templates `json:"invitation"`
		Branding             *invite.Branding  `json:"branding"`
		AssistantAddress     *string           `json:"assistant_address"`
		Invitations          *string           `json:"invitations"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p := principal(r)
	patch := account.AccountPatch{Name: in.Name, Language: in.Language, DefaultVideoProvider: in.DefaultVideoProvider,
		AssistantAddress: in.AssistantAddress, Invitation: in.Invitation, Branding: in.Branding, Invitations: in.Invitations}
	a, err := s.Accounts.UpdateAccount(r.Context(), p, patch)
	if err != nil {
		return err
	}
	return s.writeAccount(w, r, a)
}

// previewInvitation renders an invitation for a sample meeting with the
// templates and branding given, or the account's (admins only).
func (s *Server) previewInvitation(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := p.RequireAdmin(); err != nil {
		return err // before reading the body
	}
	var in struct {
		Kind       string            `json:"kind"`
		Language   string            `json:"language"`
		Invitation *invite.Templates `json:"invitation"`
		Branding   *invite.Branding  `json:"branding"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.Accounts.PreviewInvitation(r.Context(), p, in.Invitation, in.Branding, in.Kind, in.Language)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
