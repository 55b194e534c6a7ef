package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Languages are the languages of Convene's mail and assistant.
var Languages = []string{"en", "fr"}

// ValidLanguage reports whether lang is one of Languages.
func ValidLanguage(lang string) bool { return slices.Contains(Languages, lang) }

// DefaultWorkingHours is Monday to Friday, 09:00 to 17:00 (DESIGN.md §4),
// in its stored JSON form.
var DefaultWorkingHours = mustJSON(availability.DefaultWorkingHours())

func mustJSON(w availability.WorkingHours) []byte {
	b, err := json.Marshal(w)
	if err != nil {
		panic(err)
	}
	return b
}

// NormalizeEmail checks that s is a bare e-mail address and returns it in
// lower case with its domain in ASCII (IDNA) form.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("an e-mail address is required")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", fmt.Errorf("%q is not a bare e-mail address like ann@example.com", s)
	}
	local, domain, _ := strings.Cut(a.Address, "@")
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", fmt.Errorf("%q: %v", s, err)
	}
	if len(local) > 64 {
		return "", fmt.Errorf("%q: the part before @ is over 64 characters", s)
	}
	return strings.ToLower(local) + "@" + d, nil
}

// EmailDomain returns the domain of a normalized address.
func EmailDomain(email string) string {
	_, d, _ := strings.Cut(email, "@")
	return d
}

// CheckTimeZone checks that name is an IANA time zone.
func CheckTimeZone(name string) error {
	if name == "" || name == "Local" {
		return fmt.Errorf("%q is not an IANA time zone such as Europe/Paris", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return fmt.Errorf("%q is not an IANA time zone such as Europe/Paris", name)
	}
	return nil
}

// Buffers are the free minutes kept before and after a user's meetings.
type Buffers struct {
	Before int `json:"before"`
	After  int `json:"after"`
}

// NewUser is what an admin gives to create a user.
type NewUser struct {
	Email        string                     `json:"email"`
	Name         string                     `json:"name"`
	TimeZone     string                     `json:"timezone"`
	Role         store.Role                 `json:"role"`
	WorkingHours *availability.WorkingHours `json:"working_hours"`
	Language     string                     `json:"language"`
}

// UserPatch changes a user's own settings; nil fields stay as they are.
type UserPatch struct {
	Name            *string                    `json:"name"`
	TimeZone        *string                    `json:"timezone"`
	Language        *string                    `json:"language"`
	WorkingHours    *availability.WorkingHours `json:"working_hours"`
	DefaultDuration *int                       `json:"default_duration"`
	VideoProvider   *string                    `json:"video_provider"`
	Buffers         *Buffers                   `json:"buffers"`
	MinNotice       *int                       `json:"min_notice"`
}

// CreateUser creates a user in an address of a verified managed domain of
// the admin's account, and returns it with its first API token.
func (s *Service) CreateUser(ctx context.Context, p Principal, in NewUser) (*store.User, string, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, "", err
	}
	var fs failure.Fields
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		fs.Add("email", "%v", err)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		fs.Add("name", "give a name of 1 to 200 characters")
	}
	tz := in.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	if err := CheckTimeZone(tz); err != nil {
		fs.Add("timezone", "%v", err)
	}
	role := in.Role
	if role == "" {
		role = store.RoleMember
	}
	if role != store.RoleAdmin && role != store.RoleMember {
		fs.Add("role", "%q is not admin or member (the owner is made at setup)", role)
	}
	if in.Language != "" && !ValidLanguage(in.Language) {
		fs.Add("language", "%q is not a supported language (%s)", in.Language, strings.Join(Languages, ", "))
	}
	wh := DefaultWorkingHours
	if in.WorkingHours != nil {
		wh = mustJSON(*in.WorkingHours)
	}
	if err := fs.Err(); err != nil {
		return nil, "", err
	}
	domain := EmailDomain(email)
	d, err := s.Store.Domain(ctx, p.AccountID, domain)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !d.Verified) {
		return nil, "", failure.Field("email", "%s is not a verified managed domain of this account; add it with POST /api/v1/domains and verify it", domain)
	}
	if err != nil {
		return nil, "", fmt.Errorf("account: create user: %w", err)
	}
	id, err := s.newID("usr_")
	if err != nil {
		return nil, "", err
	}
	u := &store.User{ID: id, AccountID: p.AccountID, Email: email, Name: name, Role: role, TimeZone: tz,
		Language: in.Language, WorkingHours: wh, DefaultDuration: 30, Created: s.Now().UTC()}
	var secret string
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return failure.New(failure.Conflict, "%s is already a user", email)
			}
			return err
		}
		if _, secret, err = s.issueToken(ctx, tx, p.AccountID, id, "created by admin"); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditUserCreate, email, Detail{"role": role})
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("account: create user: %w", err)
	}
	return u, secret, nil
}

// User returns a user of the principal's account.
func (s *Service) User(ctx context.Context, p Principal, id string) (*store.User, error) {
	u, err := s.Store.User(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no such user")
	}
	return u, err
}

// UserByEmail returns a user of the principal's account by address.
func (s *Service) UserByEmail(ctx context.Context, p Principal, email string) (*store.User, error) {
	u, err := s.Store.UserByEmail(ctx, p.AccountID, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no user %s in this account", email)
	}
	return u, err
}

// Users lists the users of the principal's account (admins only).
func (s *Service) Users(ctx context.Context, p Principal) ([]store.User, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.Store.Users(ctx, p.AccountID)
}

// UpdateMe applies a patch to the principal's own user.
func (s *Service) UpdateMe(ctx context.Context, p Principal, patch UserPatch) (*store.User, error) {
	var out *store.User
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		u, err := tx.User(ctx, p.AccountID, p.UserID)
		if err != nil {
			return err
		}
		if err := s.applyPatch(u, patch); err != nil {
			return err
		}
		out = u
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("account: update user: %w", err)
	}
	return out, nil
}

func (s *Service) applyPatch(u *store.User, p UserPatch) error {
	var fs failure.Fields
	if p.Name != nil {
		if n := strings.TrimSpace(*p.Name); n == "" || len(n) > 200 {
			fs.Add("name", "give a name of 1 to 200 characters")
		} else {
			u.Name = n
		}
	}
	if p.TimeZone != nil {
		if err := CheckTimeZone(*p.TimeZone); err != nil {
			fs.Add("timezone", "%v", err)
		} else {
			u.TimeZone = *p.TimeZone
		}
	}
	if p.Language != nil {
		if *p.Language != "" && !ValidLanguage(*p.Language) {
			fs.Add("language", "%q is not a supported language (%s)", *p.Language, strings.Join(Languages, ", "))
		} else {
			u.Language = *p.Language
		}
	}
	if p.WorkingHours != nil {
		// The API's JSON parser checks these; a caller that builds them
		// (a web form) is checked here too.
		switch err := p.WorkingHours.Validate(); {
		case err != nil:
			fs.Add("working_hours", "%v", err)
		case p.WorkingHours.IsZero():
			fs.Add("working_hours", "give working time on at least one day")
		default:
			u.WorkingHours = mustJSON(*p.WorkingHours)
		}
	}
	if p.DefaultDuration != nil {
		if d := *p.DefaultDuration; d < 5 || d > 1440 {
			fs.Add("default_duration", "must be 5 to 1440 minutes")
		} else {
			u.DefaultDuration = d
		}
	}
	if p.VideoProvider != nil {
		if v := *p.VideoProvider; v != "" && !s.videoProvider(v) {
			fs.Add("video_provider", "%q is not one of %s, or empty (the account's default)", v, s.VideoApps.Choices())
		} else {
			u.VideoProvider = *p.VideoProvider
		}
	}
	if p.Buffers != nil {
		if b := *p.Buffers; b.Before < 0 || b.Before > 240 || b.After < 0 || b.After > 240 {
			fs.Add("buffers", "before and after must be 0 to 240 minutes")
		} else {
			u.BufferBefore, u.BufferAfter = b.Before, b.After
		}
	}
	if p.MinNotice != nil {
		if n := *p.MinNotice; n < 0 || n > 43200 {
			fs.Add("min_notice", "must be 0 to 43200 minutes (30 days)")
		} else {
			u.MinNotice = n
		}
	}
	return fs.Err()
}
