package apps

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Service accounts (video.AuthServiceAccount, Google Workspace's
// domain-wide delegation): the admin gives the service account's JSON key
// at install; the marketplace checks it, proves that the delegation is
// granted by taking a token for the admin's own address with the app's
// scopes (RFC 7523's JWT bearer assertion, signed with the key), seals the
// key (the install's place + "/key") and marks the app installed. The
// app's client then makes its own per-user tokens from the opened key
// (Connection.Credentials); a later refusal marks the install
// needs_reauthorization (watchAuth for its Provider; the calendar core
// calls CalendarsUnauthorized for its Calendars).

// MaxKeySize bounds a service account key (Google's are about 2.3 KB).
const MaxKeySize = 16 << 10

// serviceAccountKey is what the marketplace reads of a key.
type serviceAccountKey struct {
	Type        string `json:"type"`
	ClientEmail string `json:"client_email"`
	ClientID    string `json:"client_id"`
	PrivateKey  string `json:"private_key"`
}

// checkKey checks a service account's JSON key: type service_account,
// client_email, and a private_key that parses (PEM, PKCS #8 or PKCS #1).
// Its messages never quote the key.
func checkKey(key []byte) (*serviceAccountKey, error) {
	bad := func(format string, args ...any) error {
		return failure.Field("service_account_key", format, args...)
	}
	if len(key) == 0 {
		return nil, bad("give the service account's JSON key (Google Cloud console: IAM, Service accounts, Keys, Add key, JSON)")
	}
	if len(key) > MaxKeySize {
		return nil, bad("the key is over %d bytes: it is not a service account's key", MaxKeySize)
	}
	var k serviceAccountKey
	if err := json.Unmarshal(key, &k); err != nil {
		return nil, bad("the key is not JSON: give the file Google's console downloads")
	}
	switch {
	case k.Type != "service_account":
		return nil, bad("the key's type is %q: give a service account's key (type service_account)", k.Type)
	case !strings.Contains(k.ClientEmail, "@"):
		return nil, bad("the key has no client_email")
	case k.PrivateKey == "":
		return nil, bad("the key has no private_key")
	}
	block, _ := pem.Decode([]byte(k.PrivateKey))
	if block == nil {
		return nil, bad("the key's private_key is not PEM")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			return nil, bad("the key's private_key does not parse as an RSA private key")
		}
	}
	return &k, nil
}

// keyPlace is where an install's key is sealed.
func keyPlace(accountID, appID string) string { return installPlace(accountID, appID) + "/key" }

// proveDelegation takes a token as subject with the app's scopes: the
// token endpoint grants it only when the admin delegated those scopes to
// the key's client ID.
func (s *Service) proveDelegation(ctx context.Context, a video.App, k *serviceAccountKey, key []byte, subject string) error {
	scopes := a.Auth.Scopes()
	cfg, err := googleoauth.JWTConfigFromJSON(key, scopes...)
	if err != nil {
		return failure.Field("service_account_key", "the key cannot sign: %v", err)
	}
	cfg.Subject, cfg.TokenURL = subject, a.Auth.TokenURL
	_, err = cfg.TokenSource(s.oauthContext(ctx)).Token()
	if err == nil {
		return nil
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return failure.New(failure.Unavailable, "%s's token endpoint could not be reached: %v", a.Name, err)
	}
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(re.Body, &body)
	client := k.ClientID
	if client == "" {
		client = k.ClientEmail
	}
	switch {
	case body.Error == "unauthorized_client":
		return failure.New(failure.Invalid,
			"the service account's client ID %s is not granted domain-wide delegation with the scopes Convene needs: in the Google Workspace admin console (Security, Access and data control, API controls, Manage domain-wide delegation), add client ID %s with the scopes %s, then install again",
			client, client, strings.Join(scopes, ",")).With("client_id", client).With("scopes", scopes)
	case body.Error == "invalid_grant" && strings.Contains(strings.ToLower(body.Description), "invalid email"):
		return failure.New(failure.Invalid,
			"%s is not a user of the Google Workspace the key belongs to: install as an admin whose address is a Workspace user", subject)
	case body.Error == "invalid_grant" || body.Error == "invalid_client":
		return failure.Field("service_account_key", "Google refuses the key (%s: %s): it may have been deleted; create a new key", body.Error, body.Description)
	case re.Response != nil && re.Response.StatusCode >= 500:
		return failure.New(failure.Unavailable, "%s's token endpoint failed (%s); try again", a.Name, re.Response.Status)
	}
	return failure.New(failure.Invalid, "%s refused the delegation: %s %s", a.Name, body.Error, body.Description)
}

// installServiceAccount completes the install of a service-account app
// with key: checked, the delegation proved for the admin's address,
// sealed and stored, the app installed for doms.
func (s *Service) installServiceAccount(ctx context.Context, p account.Principal, a video.App, in *store.Install, doms []string, key []byte) error {
	k, err := checkKey(key)
	if err != nil {
		return err
	}
	if p.Email == "" {
		return failure.New(failure.Invalid, "installing %s takes a token as the installing admin: the admin needs an e-mail address", a.Name)
	}
	if err := s.proveDelegation(ctx, a, k, key, p.Email); err != nil {
		return err
	}
	if in.Mode == video.ModePersonal {
		// Switching mode is a re-install: once the key is proved good,
		// the users' own grants are revoked and forgotten.
		if _, err := s.dropGrants(ctx, a, p.AccountID); err != nil {
			return err
		}
		in.Mode = video.ModeAccount
	}
	sealed, err := s.Box.Seal(string(key), keyPlace(p.AccountID, a.ID))
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	in.State, in.Domains, in.Installed, in.InstalledBy, in.Updated, in.Problem = store.InstallInstalled, doms, now, p.UserID, now, ""
	in.Credentials, in.Scopes = sealed, strings.Join(a.Auth.Scopes(), " ")
	// The account is the service account: its own webhooks (none for
	// Google) and the admin page name it.
	in.ProviderAccountID, in.ProviderUserID = k.ClientID, p.Email
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.SaveInstall(ctx, in); err != nil {
			return err
		}
		return s.Accounts.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditAppInstall, a.ID,
			account.Detail{"domains": doms, "scopes": a.Auth.Scopes(), "client_id": k.ClientID})
	})
	if err != nil {
		return fmt.Errorf("apps: install %s: %w", a.ID, err)
	}
	s.clients.Delete(p.AccountID + "/" + a.ID)
	s.changed(ctx, p.AccountID, a.ID)
	return nil
}

// credentials opens an install's key.
func (s *Service) credentials(in *store.Install) ([]byte, error) {
	if in.Credentials == "" {
		return nil, fmt.Errorf("apps: %s has no key: %w", in.App, video.ErrUnauthorized)
	}
	k, err := s.Box.Open(in.Credentials, keyPlace(in.AccountID, in.App))
	if err != nil {
		return nil, fmt.Errorf("apps: open the key of %s: %w", in.App, err)
	}
	return []byte(k), nil
}

// authFailed records that the provider refused an install's credentials
// (video.ErrUnauthorized): the install needs its admin again, who is told.
func (s *Service) authFailed(ctx context.Context, accountID, appID string, err error) {
	if !errors.Is(err, video.ErrUnauthorized) {
		return
	}
	problem := fmt.Sprintf("%s refused Convene's service account (%v); an admin must check the domain-wide delegation and install it again", s.appName(appID), err)
	if perr := s.markProblem(ctx, accountID, appID, problem); perr != nil {
		s.Log.Error("apps: recording a refused install failed", "app", appID, "err", perr)
		return
	}
	s.clients.Delete(accountID + "/" + appID)
	s.clients.Delete(accountID + "/" + appID + "/calendars")
	s.notify(ctx, accountID, appID, problem)
}

// watchAuth is a service-account app's Provider whose refusals mark the
// install needs_reauthorization.
type watchAuth struct {
	video.Provider
	s                *Service
	accountID, appID string
}

func (w watchAuth) check(ctx context.Context, err error) error {
	if err != nil {
		w.s.authFailed(context.WithoutCancel(ctx), w.accountID, w.appID, err)
	}
	return err
}

func (w watchAuth) Create(ctx context.Context, host string, spec video.Spec) (*video.Meeting, error) {
	m, err := w.Provider.Create(ctx, host, spec)
	return m, w.check(ctx, err)
}

func (w watchAuth) CreateOnce(ctx context.Context, host string, spec video.Spec, ref video.CreateRef) (*video.Meeting, error) {
	m, err := w.Provider.CreateOnce(ctx, host, spec, ref)
	return m, w.check(ctx, err)
}

func (w watchAuth) Get(ctx context.Context, id, occurrenceID string) (*video.Meeting, error) {
	m, err := w.Provider.Get(ctx, id, occurrenceID)
	return m, w.check(ctx, err)
}

func (w watchAuth) Update(ctx context.Context, id, occurrenceID string, spec video.Spec) (*video.Meeting, error) {
	m, err := w.Provider.Update(ctx, id, occurrenceID, spec)
	return m, w.check(ctx, err)
}

func (w watchAuth) Delete(ctx context.Context, id, occurrenceID string) error {
	return w.check(ctx, w.Provider.Delete(ctx, id, occurrenceID))
}

func (w watchAuth) List(ctx context.Context, host string) ([]video.Meeting, error) {
	m, err := w.Provider.List(ctx, host)
	return m, w.check(ctx, err)
}

func (w watchAuth) Invitation(ctx context.Context, id string) (*video.Invitation, error) {
	m, err := w.Provider.Invitation(ctx, id)
	return m, w.check(ctx, err)
}
