package assistant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// confirm is the job that sends the organizer the one confirmation of a
// booking, once its video meeting exists (so that the mail carries the
// link), or after confirmWait without it. A booking that failed sends
// nothing here: booking tells the organizer why.
type confirm struct {
	AccountID string `json:"account_id"`
	ThreadID  string `json:"thread_id"`
	MeetingID string `json:"meeting_id"`
	// Step is the step that booked: the mail's dedupe key.
	Step string `json:"step"`
}

// Kind implements jobs.Args.
func (confirm) Kind() string { return "assistant.confirm" }

// confirmWait bounds how long the confirmation waits for the video
// meeting.
const confirmWait = 2 * time.Minute

func (s *Service) workConfirm(ctx context.Context, job *jobs.Job[confirm]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	th, err := s.Store.Thread(ctx, a.AccountID, a.ThreadID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	d, err := decodeData(th)
	if err != nil {
		return jobs.Permanent(err)
	}
	switch m.Status {
	case store.MeetingBooking:
		if s.now().Sub(d.Booked) < confirmWait {
			return jobs.Snooze(time.Second)
		}
	case store.MeetingFailed, store.MeetingCancelled, store.MeetingProposed:
		return nil
	}
	acct, err := s.Store.Account(ctx, a.AccountID)
	if err != nil {
		return err
	}
	org, err := s.Store.User(ctx, a.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	t, err := s.newTurn(ctx, "confirm:"+a.Step, acct, org, th, nil)
	if err != nil {
		return err
	}
	var names []string
	for _, at := range m.Attendees {
		if p, ok := d.attendee(at.Email); ok {
			names = append(names, p.label())
		} else if at.Name != "" {
			names = append(names, at.Name)
		} else {
			names = append(names, at.Email)
		}
	}
	l := t.toOrganizer("booked", func(l *letterData) {
		l.When = invite.FormatRange(m.Start, m.End, d.TimeZone, d.Language)
		l.Names = invite.ListJoin(names, d.Language)
		l.Reason = joinNotes(t.unknownNote(), t.providerNote())
		if len(m.Video) > 0 {
			var vm video.Meeting
			if json.Unmarshal(m.Video, &vm) == nil && vm.JoinURL != "" {
				l.JoinURL, l.Provider = vm.JoinURL, t.s.providerLabel(m.VideoProvider)
			}
		}
	})
	l.Key = fmt.Sprintf("assistant/%s/%s/booked/%s", acct.ID, a.Step, org.Email)
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		mail, err := compose(l, t.from, t.brand, t.now)
		if err != nil {
			return err
		}
		mail.AccountID, mail.MeetingID = acct.ID, m.ID
		if _, err := s.Booking.QueueMail(ctx, tx, mail); err != nil {
			return err
		}
		return tx.AddThreadKeys(ctx, acct.ID, th.ID, []string{trimID(mail.MessageID)})
	})
}

// joinNotes joins the non-empty notes with a space.
func joinNotes(notes ...string) string {
	out := ""
	for _, n := range notes {
		if n == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += n
	}
	return out
}

func trimID(id string) string {
	if len(id) > 1 && id[0] == '<' && id[len(id)-1] == '>' {
		return id[1 : len(id)-1]
	}
	return id
}
