package calendar

import (
	"context"
	"fmt"
	"sort"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
)

// FailingSource is a calendar source of the account whose busy time
// Convene cannot vouch for now (failing, stale, or never synced), with its
// user: what the admins' page lists.
type FailingSource struct {
	UserEmail string
	UserName  string
	CalendarView
}

// maxFailingUsers bounds the users FailingSources looks at in one query;
// an account with more is read in batches of this size.
const maxFailingUsers = 500

// FailingSources lists the calendar sources of every user of the admin's
// account that are not "ok" (CalendarView.Status failing, stale or
// pending), failing first, then by user. URLs and problems are redacted
// (package redact) as everywhere they are shown.
func (s *Service) FailingSources(ctx context.Context, p account.Principal) ([]FailingSource, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	users, err := s.store.Users(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("calendar: failing sources: %w", err)
	}
	byID := make(map[string]*store.User, len(users))
	ids := make([]string, 0, len(users))
	for i := range users {
		byID[users[i].ID] = &users[i]
		ids = append(ids, users[i].ID)
	}
	var out []FailingSource
	for len(ids) > 0 {
		batch := ids[:min(len(ids), maxFailingUsers)]
		ids = ids[len(batch):]
		cals, err := s.store.UserCalendars(ctx, p.AccountID, batch)
		if err != nil {
			return nil, fmt.Errorf("calendar: failing sources: %w", err)
		}
		for i := range cals {
			c := &cals[i]
			u := byID[c.UserID]
			if c.Kind == store.CalendarBuiltin || u == nil {
				continue
			}
			v := s.view(u, c, 0)
			if v.Status == "ok" {
				continue
			}
			out = append(out, FailingSource{UserEmail: u.Email, UserName: u.Name, CalendarView: v})
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	rank := map[string]int{"failing": 0, "stale": 1, "pending": 2}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := rank[out[i].Status], rank[out[j].Status]; a != b {
			return a < b
		}
		return out[i].UserEmail < out[j].UserEmail
	})
	return out, nil
}
