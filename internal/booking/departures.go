package booking

import (
	"context"
	"fmt"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/store"
)

var _ account.Departures = (*Service)(nil)

// endOfTime bounds "every meeting from now on" in range queries.
var endOfTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// UserRemoved implements account.Departures: it cancels what the removed
// user organizes that has not started yet, through the same path as the
// organizer's own DELETE (holds released, the video meeting deleted at the
// provider by a job, CANCEL to every invitee):
//   - a single meeting or a proposal that has not started is cancelled;
//   - a series under way ends before its first occurrence still to come
//     (as "cancel this and following"), a series not started is cancelled;
//   - a meeting that has started, or is over, stays for the record.
//
// It runs in the transaction that removes the user and returns how many
// meetings it cancelled or cut short.
func (s *Service) UserRemoved(ctx context.Context, st store.Store, u *store.User, at time.Time) (int, error) {
	tx, ok := st.(*store.DB)
	if !ok {
		return 0, fmt.Errorf("booking: user removed: not a *store.DB transaction")
	}
	// The organizer's lock, as every booking and change takes it: a
	// booking that started before the removal commits first and is seen
	// here, one that starts after finds the organizer inactive.
	if err := tx.LockKey(ctx, "organizer/"+u.ID); err != nil {
		return 0, err
	}
	// Organized meetings that end after at (series: all); "" matches no
	// attendee.
	ms, err := tx.MeetingsOf(ctx, u.AccountID, u.ID, "", at, endOfTime)
	if err != nil {
		return 0, fmt.Errorf("booking: meetings of %s: %w", u.ID, err)
	}
	n := 0
	for _, listed := range ms {
		if listed.OrganizerID != u.ID {
			continue
		}
		m, err := tx.MeetingForUpdate(ctx, u.AccountID, listed.ID)
		if err != nil {
			return n, err
		}
		done, err := s.endForDeparture(ctx, tx, m, at)
		if err != nil {
			return n, fmt.Errorf("booking: cancel %s of a removed user: %w", m.ID, err)
		}
		if done {
			n++
		}
	}
	return n, nil
}

// endForDeparture cancels m, or the rest of a series, if it has not
// started at at; it reports whether it changed anything.
func (s *Service) endForDeparture(ctx context.Context, tx *store.DB, m *store.Meeting, at time.Time) (bool, error) {
	switch m.Status {
	case store.MeetingCancelled, store.MeetingFailed:
		return false, nil
	case store.MeetingProposed:
		// Nothing is held or sent yet; its options are moot.
		return true, s.cancelAll(ctx, tx, m)
	}
	if m.RRule == "" {
		if !m.Start.After(at) {
			return false, nil // started or over: kept for the record
		}
		return true, s.cancelAll(ctx, tx, m)
	}
	occs, err := s.seriesOccurrences(ctx, tx, m)
	if err != nil {
		return false, err
	}
	for i, o := range occs {
		if !o.Start.After(at) {
			continue
		}
		// occs[i] is the first occurrence still to come.
		if i == 0 {
			return true, s.cancelAll(ctx, tx, m)
		}
		for _, rest := range occs[i:] {
			if rest.Status != "cancelled" {
				return true, s.cancelFollowing(ctx, tx, m, o.ID)
			}
		}
		return false, nil // what is left is cancelled already
	}
	return false, nil // every occurrence has started
}
