package googlesandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// state is everything the sandbox remembers; Server.mu guards it. With
// Options.DataFile it is what the file holds.
type state struct {
	// Counter numbers every change of every calendar: an event's Seq is the
	// counter of its last change, and a sync token holds the counter it was
	// issued at.
	Counter int64 `json:"counter"`
	// Domains are the Workspace domains by name; "*" holds delegation
	// granted for every domain.
	Domains map[string]*domain `json:"domains"`
	// Users by lower-case address.
	Users map[string]*user `json:"users"`
	// ServiceAccounts by client_email.
	ServiceAccounts map[string]*serviceAccount `json:"service_accounts"`
	// Tokens are the access tokens issued, by token.
	Tokens map[string]*accessToken `json:"tokens"`
	// Calendars by calendar id (the owner's address).
	Calendars map[string]*calendar `json:"calendars"`
	// Channels are the push channels by channel id.
	Channels map[string]*channel `json:"channels"`
	// Mails are the e-mails Google would have sent (sendUpdates).
	Mails []*mail `json:"mails"`
	// OAuthClients are the registered web clients by client_id.
	OAuthClients map[string]*OAuthClient `json:"oauth_clients"`
	// Codes are the authorization codes issued and not yet expired.
	Codes map[string]*authCode `json:"codes"`
	// Grants are the consents given, by grantKey (account and client).
	Grants map[string]*grant `json:"grants"`
	// RefreshTokens by token.
	RefreshTokens map[string]*refreshToken `json:"refresh_tokens"`
	// SigningKey signs id_tokens (minted on first use).
	SigningKey *signingKey `json:"signing_key,omitempty"`
}

// domain is a Workspace domain and the domain-wide delegation its admin
// granted: client ID → scopes.
type domain struct {
	Name        string              `json:"name"`
	Delegations map[string][]string `json:"delegations"`
}

// user is a Workspace user or, with Personal, a personal Google account
// (gmail.com…), which no domain-wide delegation reaches; its primary
// calendar has its address as id.
type user struct {
	Email    string `json:"email"`
	TimeZone string `json:"time_zone"`
	Name     string `json:"name,omitempty"`
	// Sub is the stable numeric account id of OpenID Connect (made at the
	// first sign-in).
	Sub      string `json:"sub,omitempty"`
	Personal bool   `json:"personal,omitempty"`
}

// serviceAccount is a service account and its public key (the private key
// is handed out once, in the key file, and never kept).
type serviceAccount struct {
	ClientEmail  string    `json:"client_email"`
	ClientID     string    `json:"client_id"`
	ProjectID    string    `json:"project_id"`
	PrivateKeyID string    `json:"private_key_id"`
	PublicKeyPEM string    `json:"public_key_pem"`
	CreatedAt    time.Time `json:"created_at"`
}

// accessToken is one issued access token: a service account acting as a
// user with the delegated scopes it asked for.
type accessToken struct {
	Token     string    `json:"token"`
	ClientID  string    `json:"client_id"`
	Subject   string    `json:"subject"`
	Scopes    []string  `json:"scopes"`
	ExpiresAt time.Time `json:"expires_at"`
	// Grant is the user's consent the token came from (grantKey; empty for
	// a service account's token) and Origin its authorization code.
	Grant  string `json:"grant,omitempty"`
	Origin string `json:"origin,omitempty"`
}

// calendar is a user's primary calendar.
type calendar struct {
	ID string `json:"id"`
	// Epoch counts sync-token invalidations: a token of an older epoch
	// answers 410 fullSyncRequired.
	Epoch  int64              `json:"epoch"`
	Events map[string]*record `json:"events"`
}

// record is a stored event and the counter of its last change. A deleted
// event stays as a record with status "cancelled" (sync reports it).
type record struct {
	Seq   int64  `json:"seq"`
	Event *event `json:"event"`
}

// channel is a push channel opened by events.watch.
type channel struct {
	ID         string    `json:"id"`
	ResourceID string    `json:"resource_id"`
	CalendarID string    `json:"calendar_id"`
	Address    string    `json:"address"`
	Token      string    `json:"token,omitempty"`
	ClientID   string    `json:"client_id"`
	Expiration time.Time `json:"expiration"`
	Messages   int64     `json:"messages"`
	Stopped    bool      `json:"stopped,omitempty"`
}

// mail is one e-mail Google would have sent to an attendee.
type mail struct {
	To         string    `json:"to"`
	Kind       string    `json:"kind"` // invitation, update, cancellation
	CalendarID string    `json:"calendar_id"`
	EventID    string    `json:"event_id"`
	Summary    string    `json:"summary"`
	At         time.Time `json:"at"`
}

func newState() *state {
	st := &state{}
	st.fillMaps()
	return st
}

func (st *state) fillMaps() {
	if st.Domains == nil {
		st.Domains = map[string]*domain{}
	}
	if st.Users == nil {
		st.Users = map[string]*user{}
	}
	if st.ServiceAccounts == nil {
		st.ServiceAccounts = map[string]*serviceAccount{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]*accessToken{}
	}
	if st.Calendars == nil {
		st.Calendars = map[string]*calendar{}
	}
	if st.Channels == nil {
		st.Channels = map[string]*channel{}
	}
	if st.OAuthClients == nil {
		st.OAuthClients = map[string]*OAuthClient{}
	}
	if st.Codes == nil {
		st.Codes = map[string]*authCode{}
	}
	if st.Grants == nil {
		st.Grants = map[string]*grant{}
	}
	if st.RefreshTokens == nil {
		st.RefreshTokens = map[string]*refreshToken{}
	}
	for _, d := range st.Domains {
		if d.Delegations == nil {
			d.Delegations = map[string][]string{}
		}
	}
	for _, c := range st.Calendars {
		if c.Events == nil {
			c.Events = map[string]*record{}
		}
	}
}

// loadState reads the data file; a missing file is an empty state.
func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("googlesandbox: load state: %w", err)
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("googlesandbox: load state %s: %w", path, err)
	}
	st.fillMaps()
	return st, nil
}

// writeFileAtomic writes b to path through a synced temporary file in the
// same directory renamed over it.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
