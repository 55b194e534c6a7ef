package assistant

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
)

// remindSweep is the periodic job that sends what is due: a guest silent
// for GuestReminder after the options went out gets one reminder; still
// silent GuestReminder later, the organizer is asked what to do (once).
type remindSweep struct{}

// Kind implements jobs.Args.
func (remindSweep) Kind() string { return "assistant.remind" }

func (s *Service) workRemind(ctx context.Context, _ *jobs.Job[remindSweep]) error {
	return s.Remind(ctx)
}

// maxRemindBatch bounds the threads one sweep handles; the next sweep
// takes the rest.
const maxRemindBatch = 200

// Remind sends the reminders and questions due now (by the service's
// clock). A thread another worker holds is left for the next sweep.
func (s *Service) Remind(ctx context.Context) error {
	ths, err := s.Store.DueThreads(ctx, s.now(), maxRemindBatch)
	if err != nil {
		return err
	}
	var errs []error
	for i := range ths {
		if err := s.remindThread(ctx, &ths[i]); err != nil && !errors.Is(err, errBusy) {
			s.log().Error("assistant reminder failed", "thread", ths[i].ID, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) remindThread(ctx context.Context, found *store.Thread) error {
	owner := fmt.Sprintf("remind:%s:%d", found.ID, found.Due.UnixMilli())
	th, err := s.lease(ctx, found.AccountID, found.ID, owner)
	if err != nil {
		return err
	}
	acct, err := s.Store.Account(ctx, th.AccountID)
	if err == nil {
		var org *store.User
		if org, err = s.Store.User(ctx, th.AccountID, th.OrganizerID); err == nil {
			var t *turn
			if t, err = s.newTurn(ctx, owner, acct, org, th, nil); err == nil {
				defer t.release(ctx)
				return s.remindTurn(ctx, t)
			}
		}
	}
	s.Store.ReleaseThread(context.WithoutCancel(ctx), th.AccountID, th.ID, owner)
	return err
}

func (s *Service) remindTurn(ctx context.Context, t *turn) error {
	d, every := t.d, s.reminder()
	if err := s.settle(ctx, t, true); err != nil {
		return err
	}
	if !negotiating(t.th.State, d) {
		return t.finish(ctx)
	}
	var reminded, silent []string
	for gi := range d.Guests {
		g := &d.Guests[gi]
		if g.Status != guestWaiting || g.Silent || g.Sent.IsZero() {
			continue
		}
		switch {
		case !g.Reminded && !t.now.Before(g.Sent.Add(every)):
			g.Reminded = true
			l := t.toGuest(gi, "reminder", true, nil)
			l.Key = fmt.Sprintf("assistant/%s/%s/%d/reminder/%s", t.acct.ID, t.th.ID, d.Round, g.Email)
			reminded = append(reminded, g.Email)
		case g.Reminded && !t.now.Before(g.Sent.Add(2*every)):
			g.Silent = true
			silent = append(silent, g.label())
		}
	}
	if len(silent) > 0 {
		d.Question = askSilent
		l := t.toOrganizer("silent", func(l *letterData) { l.Names, l.Count = invite.ListJoin(silent, d.Language), len(silent) })
		l.Key = fmt.Sprintf("assistant/%s/%s/%d/silent/%s", t.acct.ID, t.th.ID, d.Round, strings.Join(silent, ","))
	}
	switch {
	case len(reminded) > 0 && len(silent) > 0:
		t.say("reminded %s; asked the organizer about %s", strings.Join(reminded, ", "), strings.Join(silent, ", "))
	case len(reminded) > 0:
		t.say("reminded %s", strings.Join(reminded, ", "))
	case len(silent) > 0:
		t.say("asked the organizer about %s", strings.Join(silent, ", "))
	default:
		t.say("nothing due")
	}
	return t.finish(ctx)
}
