package inbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
)

// DefaultRetention is how long the bytes of received mail are kept when
// CONVENE_MAIL_RETENTION is not set: 30 days.
const DefaultRetention = 30 * 24 * time.Hour

// purgeRaw is the periodic job that empties the bytes of old mail.
type purgeRaw struct{}

// Kind implements jobs.Args.
func (purgeRaw) Kind() string { return "inbox.purge" }

// purgeBatch bounds one statement, so a large purge never holds the
// SQLite write lock for long.
const purgeBatch = 500

func (s *Service) retention() time.Duration {
	if s.Retention <= 0 {
		return DefaultRetention
	}
	return s.Retention
}

// purgeInterval runs the purge hourly, or more often for a short
// retention.
func (s *Service) purgeInterval() time.Duration {
	d := s.retention() / 4
	switch {
	case d > time.Hour:
		return time.Hour
	case d < time.Minute:
		return time.Minute
	}
	return d
}

func (s *Service) workPurge(ctx context.Context, _ *jobs.Job[purgeRaw]) error {
	_, err := s.Purge(ctx)
	return err
}

// Purge empties the bytes of every message received more than the
// retention period ago and returns how many it emptied. The rows stay:
// the Message-ID (so a late copy is still a duplicate), the sender check
// and the status, which say what happened without saying what was written.
func (s *Service) Purge(ctx context.Context) (int, error) {
	now := s.now()
	cutoff := now.Add(-s.retention())
	total := 0
	for {
		n, err := s.Store.PurgeInbox(ctx, cutoff, now, purgeBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("inbox: purge: %w", err)
		}
		if n < purgeBatch {
			break
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
	if total > 0 {
		s.log().Info("received mail purged", "messages", total, "received_before", cutoff)
	}
	return total, nil
}

// Messages lists the account's received mail, newest first, without the
// bytes: for admins only.
func (s *Service) Messages(ctx context.Context, p account.Principal, limit int) ([]store.InboxMessage, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	ms, err := s.Store.InboxMessages(ctx, p.AccountID, limit)
	if err != nil {
		return nil, fmt.Errorf("inbox: list: %w", err)
	}
	return ms, nil
}

// Raw returns one message of the account with its bytes: for admins only.
func (s *Service) Raw(ctx context.Context, p account.Principal, id string) (*store.InboxMessage, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	m, err := s.Store.InboxMessage(ctx, p.AccountID, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, failure.New(failure.NotFound, "no received message %s in this account", id)
		}
		return nil, fmt.Errorf("inbox: load %s: %w", id, err)
	}
	if m.Raw == nil {
		why := "it was a duplicate, whose bytes are not kept"
		if m.DuplicateOf == "" {
			why = "its content was purged after the retention period (CONVENE_MAIL_RETENTION); its record stays"
		}
		return nil, failure.New(failure.NotFound, "message %s has no content: %s", id, why)
	}
	return m, nil
}
