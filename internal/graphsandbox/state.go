package graphsandbox

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
	Tenants map[string]*tenant `json:"tenants"`
	// Users by id (a GUID).
	Users map[string]*user `json:"users"`
	// Tokens by access token.
	Tokens map[string]*token `json:"tokens"`
	// Events by immutable id.
	Events map[string]*event `json:"events"`
	// Removed are tombstones of deleted events for delta, by immutable id.
	Removed map[string]*tombstone `json:"removed"`
	// Meetings are online meetings by id.
	Meetings map[string]*onlineMeeting `json:"meetings"`
	// Subs are subscriptions by id.
	Subs map[string]*subscription `json:"subscriptions"`
	// Seq numbers changes; an event remembers the Seq of its last change
	// and a delta token the Seq it was issued at.
	Seq int64 `json:"seq"`
	// Epoch changes when a control resets delta state: tokens of another
	// epoch are refused with 410.
	Epoch int64 `json:"epoch"`
	// Deltas are issued delta tokens.
	Deltas map[string]*deltaState `json:"deltas"`

	byRegular map[string]string // regular id → immutable id
}

type tenant struct {
	ID      string    `json:"id"`
	Domains []string  `json:"domains"`
	Consent bool      `json:"consent"`
	At      time.Time `json:"consentedAt,omitzero"`
}

type user struct {
	ID           string       `json:"id"`
	TenantID     string       `json:"tenantId"`
	Mail         string       `json:"mail"`
	DisplayName  string       `json:"displayName"`
	GivenName    string       `json:"givenName"`
	Surname      string       `json:"surname"`
	TimeZone     string       `json:"timeZone"` // Windows name
	WorkingHours workingHours `json:"workingHours"`
}

// workingHours is Graph's workingHours resource.
type workingHours struct {
	DaysOfWeek []string `json:"daysOfWeek"`
	StartTime  string   `json:"startTime"`
	EndTime    string   `json:"endTime"`
	TimeZone   struct {
		Name string `json:"name"`
	} `json:"timeZone"`
}

type token struct {
	AccessToken string    `json:"accessToken"`
	TenantID    string    `json:"tenantId"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

type tombstone struct {
	ID        string `json:"id"`
	RegularID string `json:"regularId"`
	UserID    string `json:"userId"`
	Seq       int64  `json:"seq"`
}

// deltaState is what a delta token stands for: a user's window and the
// change number it saw.
type deltaState struct {
	UserID    string    `json:"userId"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Seq       int64     `json:"seq"`
	Epoch     int64     `json:"epoch"`
	Immutable bool      `json:"immutable"`
}

func newState() *state {
	st := &state{}
	st.fill()
	return st
}

func (st *state) fill() {
	if st.Tenants == nil {
		st.Tenants = map[string]*tenant{}
	}
	if st.Users == nil {
		st.Users = map[string]*user{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]*token{}
	}
	if st.Events == nil {
		st.Events = map[string]*event{}
	}
	if st.Removed == nil {
		st.Removed = map[string]*tombstone{}
	}
	if st.Meetings == nil {
		st.Meetings = map[string]*onlineMeeting{}
	}
	if st.Subs == nil {
		st.Subs = map[string]*subscription{}
	}
	if st.Deltas == nil {
		st.Deltas = map[string]*deltaState{}
	}
	st.byRegular = map[string]string{}
	for id, e := range st.Events {
		st.byRegular[e.RegularID] = id
	}
}

// loadState reads the data file; a missing file is an empty state.
func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("graphsandbox: load state: %w", err)
	}
	st := &state{}
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("graphsandbox: load state %s: %w", path, err)
	}
	st.fill()
	return st, nil
}

// save writes the state to path atomically: a temporary file in the same
// directory, synced, then renamed over the old one.
func (st *state) save(path string) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("graphsandbox: encode state: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("graphsandbox: save state: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("graphsandbox: save state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("graphsandbox: save state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("graphsandbox: save state: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("graphsandbox: save state: %w", err)
	}
	return nil
}
