package account

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Personal booking pages: each user may switch on a public page at
// /u/{slug} where visitors see their free times and ask for a meeting
// (the booking package books it once the visitor confirms by mail). The
// rules kept here:
//   - a page is off until its user switches it on, and it works only
//     while the user is active;
//   - the slug is 3 to 40 lower-case letters, digits and inner hyphens,
//     unique on the server (the URL names no account);
//   - a visitor chooses among 1 to MaxBookingDurations lengths of 5 to
//     480 minutes (none: the user's default length), up to MaxBookingDays
//     ahead;
//   - the page may say in its own words what the meeting is for (its
//     intro): plain text of at most MaxBookingIntroRunes characters and
//     MaxBookingIntroLines lines, no control characters but newlines.

// Bounds of a booking page.
const (
	DefaultBookingDays  = 14
	MaxBookingDays      = 60
	MaxBookingDurations = 6
	minBookingDuration  = 5
	maxBookingDuration  = 480
	// MaxBookingIntroRunes and MaxBookingIntroLines bound a page's intro.
	MaxBookingIntroRunes = 1000
	MaxBookingIntroLines = 20
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// BookingPageSettings are what a user sets of their booking page.
type BookingPageSettings struct {
	Slug      string
	Enabled   bool
	Durations []int
	Days      int
	// Intro is plain text shown to visitors above the times (empty:
	// none).
	Intro string
}

// BookingPage returns the principal's booking page; one never saved comes
// back switched off, with a slug made from the user's address and the
// defaults.
func (s *Service) BookingPage(ctx context.Context, p Principal) (*store.BookingPage, error) {
	bp, err := s.Store.BookingPage(ctx, p.AccountID, p.UserID)
	if err == nil {
		return bp, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("account: booking page: %w", err)
	}
	u, err := s.Store.User(ctx, p.AccountID, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("account: booking page: %w", err)
	}
	return &store.BookingPage{UserID: u.ID, AccountID: u.AccountID, Slug: SuggestSlug(u.Email), Durations: []int{u.DefaultDuration},
		Days: DefaultBookingDays}, nil
}

// SuggestSlug turns an address's local part into a slug candidate
// ("ann.lee@x" → "ann-lee"); it may be taken or too short.
func SuggestSlug(email string) string {
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	var b strings.Builder
	for _, r := range local {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	slug := strings.Trim(b.String(), "-")
	if len(slug) > 40 {
		slug = strings.Trim(slug[:40], "-")
	}
	return slug
}

// BookingPagePatch changes the principal's booking page; nil fields stay
// as they are.
type BookingPagePatch struct {
	Slug      *string `json:"slug"`
	Enabled   *bool   `json:"enabled"`
	Durations *[]int  `json:"durations"`
	Days      *int    `json:"days"`
	Intro     *string `json:"intro"`
}

// UpdateBookingPage applies patch to the principal's booking page (one
// never saved starts from BookingPage's defaults) and saves it through
// SetBookingPage's checks.
func (s *Service) UpdateBookingPage(ctx context.Context, p Principal, patch BookingPagePatch) (*store.BookingPage, error) {
	bp, err := s.BookingPage(ctx, p)
	if err != nil {
		return nil, err
	}
	in := BookingPageSettings{Slug: bp.Slug, Enabled: bp.Enabled, Durations: bp.Durations, Days: bp.Days, Intro: bp.Intro}
	if patch.Slug != nil {
		in.Slug = *patch.Slug
	}
	if patch.Enabled != nil {
		in.Enabled = *patch.Enabled
	}
	if patch.Durations != nil {
		in.Durations = *patch.Durations
	}
	if patch.Days != nil {
		in.Days = *patch.Days
	}
	if patch.Intro != nil {
		in.Intro = *patch.Intro
	}
	return s.SetBookingPage(ctx, p, in)
}

// SetBookingPage saves the principal's booking page.
func (s *Service) SetBookingPage(ctx context.Context, p Principal, in BookingPageSettings) (*store.BookingPage, error) {
	var fs failure.Fields
	slug := strings.ToLower(strings.TrimSpace(in.Slug))
	if !slugPattern.MatchString(slug) || strings.Contains(slug, "--") {
		fs.Add("slug", "use 3 to 40 lower-case letters, digits and single hyphens inside, e.g. ann-lee")
	}
	days := in.Days
	if days == 0 {
		days = DefaultBookingDays
	}
	if days < 1 || days > MaxBookingDays {
		fs.Add("days", "offer times 1 to %d days ahead", MaxBookingDays)
	}
	var durations []int
	for _, d := range in.Durations {
		if d < minBookingDuration || d > maxBookingDuration {
			fs.Add("durations", "each length must be %d to %d minutes", minBookingDuration, maxBookingDuration)
			break
		}
		if !slices.Contains(durations, d) {
			durations = append(durations, d)
		}
	}
	if len(durations) > MaxBookingDurations {
		fs.Add("durations", "offer at most %d lengths", MaxBookingDurations)
	}
	slices.Sort(durations)
	intro := strings.TrimSpace(strings.ReplaceAll(in.Intro, "\r\n", "\n"))
	switch {
	case !utf8.ValidString(intro) || strings.ContainsFunc(intro, func(r rune) bool { return r != '\n' && unicode.IsControl(r) }):
		fs.Add("intro", "use plain text: no control characters but line breaks")
	case utf8.RuneCountInString(intro) > MaxBookingIntroRunes:
		fs.Add("intro", "use at most %d characters", MaxBookingIntroRunes)
	case strings.Count(intro, "\n")+1 > MaxBookingIntroLines:
		fs.Add("intro", "use at most %d lines", MaxBookingIntroLines)
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	bp := &store.BookingPage{UserID: p.UserID, AccountID: p.AccountID, Slug: slug, Enabled: in.Enabled, Durations: durations,
		Days: days, Intro: intro, Updated: s.Now().UTC()}
	if err := s.Store.PutBookingPage(ctx, bp); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, failure.Field("slug", "%q is taken; choose another", slug)
		}
		return nil, fmt.Errorf("account: save booking page: %w", err)
	}
	return bp, nil
}

// PublicBookingPage returns the switched-on page with slug and its owner,
// for a visitor. A page switched off, or of a user disabled or removed,
// is not found, exactly as a slug nobody has.
func (s *Service) PublicBookingPage(ctx context.Context, slug string) (*store.BookingPage, *store.User, error) {
	notFound := failure.New(failure.NotFound, "there is no booking page %q", slug)
	if !slugPattern.MatchString(strings.ToLower(slug)) {
		return nil, nil, notFound
	}
	bp, err := s.Store.BookingPageBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("account: booking page: %w", err)
	}
	if !bp.Enabled {
		return nil, nil, notFound
	}
	u, err := s.Store.User(ctx, bp.AccountID, bp.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("account: booking page: %w", err)
	}
	if !u.Active() {
		return nil, nil, notFound
	}
	return bp, u, nil
}

// PrincipalOf returns the principal a user acts as when Convene acts for
// them without a request of theirs (a visitor's booking on their page, a
// guest's answer to their proposal).
func PrincipalOf(u *store.User) Principal {
	return Principal{AccountID: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role}
}
