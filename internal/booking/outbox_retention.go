package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/convene/convene/internal/jobs"
)

// DefaultOutboxRetention is how long the body of a sent mail stays in the
// outbox when CONVENE_OUTBOX_RETENTION is not set: 30 days.
const DefaultOutboxRetention = 30 * 24 * time.Hour

// purgeOutbox is the periodic job that empties the bodies of mail sent
// longer than the retention ago.
type purgeOutbox struct{}

// Kind implements jobs.Args.
func (purgeOutbox) Kind() string { return "outbox.purge" }

// outboxPurgeBatch bounds one statement, so a large purge never holds the
// SQLite write lock for long.
const outboxPurgeBatch = 500

func (s *Service) outboxRetention() time.Duration {
	if s.OutboxRetention <= 0 {
		return DefaultOutboxRetention
	}
	return s.OutboxRetention
}

// outboxPurgeInterval runs the purge hourly, or more often for a short
// retention.
func (s *Service) outboxPurgeInterval() time.Duration {
	return min(max(s.outboxRetention()/4, time.Minute), time.Hour)
}

func (s *Service) workPurgeOutbox(ctx context.Context, _ *jobs.Job[purgeOutbox]) error {
	_, err := s.PurgeOutbox(ctx)
	return err
}

// PurgeOutbox empties the body of every mail sent more than the retention
// ago and returns how many it emptied. The rows stay, for the outbox view
// and the dedupe keys that keep each mail once; held, queued and failed
// mail keeps its body, which is what is shown or sent.
func (s *Service) PurgeOutbox(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	cutoff := now.Add(-s.outboxRetention())
	total := 0
	for {
		n, err := s.Store.PurgeSentMail(ctx, cutoff, now, outboxPurgeBatch)
		total += n
		if err != nil {
			return total, fmt.Errorf("booking: purge the outbox: %w", err)
		}
		if n < outboxPurgeBatch {
			break
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
	if total > 0 {
		s.Log.Info("sent mail purged from the outbox", "mails", total, "sent_before", cutoff)
	}
	return total, nil
}
