package zoomsandbox

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
	// Generation numbers the snapshots of the data file (persist.go).
	Generation int64 `json:"generation,omitempty"`

	Accounts map[string]*account  `json:"accounts"`
	Users    map[string]*user     `json:"users"`
	Meetings map[int64]*meeting   `json:"meetings"`
	Trash    map[int64]*meeting   `json:"trash"` // deleted, recoverable with PUT status "recover"
	Tokens   []*token             `json:"tokens"`
	Codes    map[string]*authCode `json:"codes"`
	// Daily counts meeting create/update requests per host and UTC day
	// (zoom-api.md §3.3).
	Daily map[string]*dailyCount `json:"daily"`

	byAccess  map[string]*token
	byRefresh map[string]*token
}

// account is one sandbox Zoom account: one per set of domains an OAuth
// authorization installs into (DESIGN §2b), plus the account of
// Options.AccountID for server-to-server tokens.
type account struct {
	ID        string    `json:"id"`
	Number    int64     `json:"number"`
	Domains   []string  `json:"domains"`
	CreatedAt time.Time `json:"created_at"`
}

// user is a Zoom user of an account, created on first use.
type user struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Email     string    `json:"email"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	PMI       int64     `json:"pmi"`
	Timezone  string    `json:"timezone"`
	Owner     bool      `json:"owner"`
	CreatedAt time.Time `json:"created_at"`
}

// meeting is a meeting as stored; meetingView is how the API shows it.
type meeting struct {
	ID                int64                       `json:"id"`
	UUID              string                      `json:"uuid"`
	AccountID         string                      `json:"account_id"`
	HostID            string                      `json:"host_id"`
	AssistantID       string                      `json:"assistant_id,omitempty"`
	Topic             string                      `json:"topic"`
	Type              int                         `json:"type"`
	Status            string                      `json:"status"`
	StartTime         time.Time                   `json:"start_time"`
	Duration          int                         `json:"duration"`
	Timezone          string                      `json:"timezone"`
	Agenda            string                      `json:"agenda"`
	CreatedAt         time.Time                   `json:"created_at"`
	Password          string                      `json:"password"`
	H323Password      string                      `json:"h323_password"`
	PSTNPassword      string                      `json:"pstn_password"`
	EncryptedPassword string                      `json:"encrypted_password"`
	ZAK               string                      `json:"zak"`
	PreSchedule       bool                        `json:"pre_schedule"`
	Recurrence        *recurrence                 `json:"recurrence,omitempty"`
	Settings          settings                    `json:"settings"`
	TrackingFields    []trackingField             `json:"tracking_fields,omitempty"`
	Occurrences       map[string]*occurrenceState `json:"occurrences,omitempty"`
	DeletedAt         time.Time                   `json:"deleted_at,omitzero"`
}

// occurrenceState is what one occurrence of a recurring meeting changed
// (PATCH or DELETE with occurrence_id).
type occurrenceState struct {
	StartTime *time.Time `json:"start_time,omitempty"`
	Duration  *int       `json:"duration,omitempty"`
	Agenda    *string    `json:"agenda,omitempty"`
	Settings  *settings  `json:"settings,omitempty"`
	Deleted   bool       `json:"deleted,omitempty"`
}

type trackingField struct {
	Field   string `json:"field"`
	Value   string `json:"value"`
	Visible bool   `json:"visible"`
}

// token is one issued OAuth grant: an access token and, for the
// authorization-code grant, its refresh token.
type token struct {
	AccessToken  string   `json:"access_token"`
	RefreshToken string   `json:"refresh_token,omitempty"`
	Grant        string   `json:"grant_type"`
	Scopes       []string `json:"scopes"`
	AccountID    string   `json:"account_id"`
	UserID       string   `json:"user_id"`
	ClientID     string   `json:"client_id"`
	// GrantID names the authorization a chain of refreshed tokens comes
	// from; revoking one token revokes its whole chain.
	GrantID   string    `json:"grant_id"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// RefreshUsed is set when the refresh token was exchanged (rotation:
	// it is refused afterwards).
	RefreshUsed bool `json:"refresh_used,omitempty"`
	// Revoked is set by /oauth/revoke, a deauthorization, or a newer
	// authorization of the same account (zoom-api.md §4.2 step 7).
	Revoked bool `json:"revoked,omitempty"`
}

// authCode is an authorization code handed out by /oauth/authorize.
type authCode struct {
	Code          string    `json:"code"`
	ClientID      string    `json:"client_id"`
	RedirectURI   string    `json:"redirect_uri"`
	Challenge     string    `json:"code_challenge,omitempty"`
	Method        string    `json:"code_challenge_method,omitempty"`
	Scopes        []string  `json:"scopes"`
	AccountID     string    `json:"account_id"`
	UserID        string    `json:"user_id"`
	ExpiresAt     time.Time `json:"expires_at"`
	Used          bool      `json:"used,omitempty"`
	IssuedTokenAt time.Time `json:"issued_token_at,omitzero"`
}

type dailyCount struct {
	Day   string `json:"day"` // 2006-01-02, UTC
	Count int    `json:"count"`
}

func newState() *state {
	st := &state{
		Accounts: map[string]*account{},
		Users:    map[string]*user{},
		Meetings: map[int64]*meeting{},
		Trash:    map[int64]*meeting{},
		Codes:    map[string]*authCode{},
		Daily:    map[string]*dailyCount{},
	}
	st.index()
	return st
}

// index rebuilds the token lookups after a load.
func (st *state) index() {
	st.byAccess = map[string]*token{}
	st.byRefresh = map[string]*token{}
	for _, t := range st.Tokens {
		st.byAccess[t.AccessToken] = t
		if t.RefreshToken != "" {
			st.byRefresh[t.RefreshToken] = t
		}
	}
}

func (st *state) addToken(t *token) {
	st.Tokens = append(st.Tokens, t)
	st.byAccess[t.AccessToken] = t
	if t.RefreshToken != "" {
		st.byRefresh[t.RefreshToken] = t
	}
}

// loadState reads the data file; a missing file is an empty state.
func loadState(path string) (*state, error) {
	st := newState()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zoomsandbox: load state: %w", err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("zoomsandbox: load state %s: %w", path, err)
	}
	st.fillMaps()
	st.index()
	return st, nil
}

// fillMaps makes the maps a file left out.
func (st *state) fillMaps() {
	if st.Accounts == nil {
		st.Accounts = map[string]*account{}
	}
	if st.Users == nil {
		st.Users = map[string]*user{}
	}
	if st.Meetings == nil {
		st.Meetings = map[int64]*meeting{}
	}
	if st.Trash == nil {
		st.Trash = map[int64]*meeting{}
	}
	if st.Codes == nil {
		st.Codes = map[string]*authCode{}
	}
	if st.Daily == nil {
		st.Daily = map[string]*dailyCount{}
	}
}

// save writes the state to path atomically: a temporary file in the same
// directory, synced, then renamed over the old one. It returns the size
// written.
func (st *state) save(path string) (int64, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return 0, fmt.Errorf("zoomsandbox: encode state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return 0, fmt.Errorf("zoomsandbox: save state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return 0, fmt.Errorf("zoomsandbox: save state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("zoomsandbox: save state: %w", err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("zoomsandbox: save state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("zoomsandbox: save state: %w", err)
	}
	return int64(len(b)), nil
}
