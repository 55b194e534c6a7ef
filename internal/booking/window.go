package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// Proposals are how many options a meeting with external guests offers.
const Proposals = 4

// bookInWindow finds a time in the request's window. With only internal
// attendees (users of the account, whose calendars Convene reads) it books
// the best slot; with external guests it stores a proposal with a few
// well-spread options, to be chosen with Choose.
func (s *Service) bookInWindow(ctx context.Context, p account.Principal, k *known, pl *plan) (*booked, error) {
	organizer := k.organizer
	if s.Calendars == nil {
		return nil, failure.New(failure.Invalid, "this Convene cannot read calendars; send start_time")
	}
	if pl.rule != nil {
		return nil, failure.Field("window", "a series needs a start_time: its occurrences must follow the rule from it")
	}
	rows, err := attendeeUserRows(ctx, s.Store, organizer.AccountID, pl.attendees)
	if err != nil {
		return nil, err
	}
	k.users = rows
	users := map[string]string{}
	for email, u := range rows {
		users[email] = u.ID
	}
	internal := []string{organizer.Email}
	var external []string
	for _, a := range pl.attendees {
		if users[a.Email] != "" {
			internal = append(internal, a.Email)
		} else {
			external = append(external, a.Email)
		}
	}
	req := calendar.AvailabilityRequest{Attendees: internal, Duration: pl.duration, From: pl.window[0], To: pl.window[1],
		Location: pl.loc, Ranking: availability.Earliest, Limit: 20}
	if len(external) > 0 {
		req.Propose = Proposals
	}
	res, err := s.Calendars.Availability(ctx, p, req)
	if err != nil {
		return nil, err
	}
	if len(res.Slots) == 0 {
		return nil, failure.New(failure.Conflict, "no time in the window suits %s (working hours, calendars, buffers and notice)", strings.Join(internal, ", ")).
			With("problems", res.Problems)
	}
	if len(external) > 0 {
		m, err := s.propose(ctx, organizer, pl, users, res.Slots)
		if err != nil {
			return nil, err
		}
		return &booked{m: m}, nil
	}
	// Internal only: book the best slot; if another booking takes it
	// first, the next one.
	var lastErr error
	for _, slot := range res.Slots {
		pl.start = slot.Start
		if err := pl.expand(); err != nil {
			return nil, err
		}
		b, err := s.book(ctx, k, pl)
		if err == nil {
			return b, nil
		}
		if failure.KindOf(err) != failure.Conflict {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

// option is a proposed time as stored with the meeting.
type option struct {
	StartTime string  `json:"start_time"`
	EndTime   string  `json:"end_time"`
	Score     float64 `json:"score"`
}

// propose stores a meeting with status proposed and its options; it holds
// no time and creates nothing until one is chosen.
func (s *Service) propose(ctx context.Context, organizer *store.User, pl *plan, users map[string]string, slots []calendar.Slot) (*store.Meeting, error) {
	now := s.Now().UTC()
	id := s.newID("mtg_")
	opts := make([]option, len(slots))
	for i, sl := range slots {
		opts[i] = option{StartTime: sl.Start.In(pl.loc).Format(time.RFC3339), EndTime: sl.End.In(pl.loc).Format(time.RFC3339), Score: sl.Score}
	}
	blob, _ := json.Marshal(opts)
	m := &store.Meeting{
		ID: id, AccountID: organizer.AccountID, OrganizerID: organizer.ID, UID: id + "@convene",
		Status: store.MeetingProposed, Type: pl.typ, Subject: pl.subject, Description: pl.description,
		Start: slots[0].Start.UTC(), End: slots[0].End.UTC(), TimeZone: pl.loc.String(),
		Duration: int(pl.duration / time.Minute), Language: organizer.Language, VideoProvider: pl.provider,
		Options: blob, Created: now, Updated: now,
	}
	if pl.password != nil {
		m.Password = *pl.password
	}
	if !pl.settings.IsZero() {
		m.Settings, _ = pl.settings.MarshalJSON()
	}
	for _, a := range pl.attendees {
		m.Attendees = append(m.Attendees, store.Attendee{Email: a.Email, Name: a.Name, UserID: users[a.Email]})
	}
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		if err := tx.CreateMeeting(ctx, m); err != nil {
			return err
		}
		if pl.commit == nil && s.OnProposal != nil {
			return s.OnProposal(ctx, tx, m)
		}
		return pl.runCommit(ctx, tx, m)
	})
	if err != nil {
		if errors.Is(err, store.ErrInactive) {
			return nil, inactiveOrganizer()
		}
		return nil, fmt.Errorf("booking: propose: %w", err)
	}
	s.Log.Info("meeting proposed", "meeting", m.ID, "options", len(opts))
	return m, nil
}

// Choose books a proposed meeting at one of its options.
func (s *Service) Choose(ctx context.Context, p account.Principal, id, startTime string) (*View, error) {
	chosen, err := s.choose(ctx, p, id, startTime, nil)
	if err != nil {
		return nil, err
	}
	if chosen.Status == store.MeetingBooking {
		s.wait(ctx, chosen.AccountID, chosen.ID, time.Now().Add(s.waitFor()))
	}
	return s.Get(ctx, p, id)
}

// choose books a proposed meeting at one of its options; commit, when set,
// runs in the same transaction.
func (s *Service) choose(ctx context.Context, p account.Principal, id, startTime string, commit Commit) (*store.Meeting, error) {
	var chosen *store.Meeting
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		m, err := s.loadForChange(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if m.Status != store.MeetingProposed {
			return failure.New(failure.Conflict, "meeting %s is %s, not proposed", id, m.Status)
		}
		loc, err := recur.IANA(m.TimeZone)
		if err != nil {
			return err
		}
		start, err := ParseStart("start_time", startTime, loc)
		if err != nil {
			return err
		}
		var opts []option
		if err := json.Unmarshal(m.Options, &opts); err != nil {
			return err
		}
		found := false
		var listed []string
		for _, o := range opts {
			t, err := time.Parse(time.RFC3339, o.StartTime)
			if err == nil && t.Equal(start) {
				found = true
			}
			listed = append(listed, o.StartTime)
		}
		if !found {
			return failure.Field("start_time", "%s is not one of the proposed times (%s)", start.In(loc).Format(time.RFC3339), strings.Join(listed, ", ")).
				With("options", listed)
		}
		m.Start, m.End = start.UTC(), start.Add(time.Duration(m.Duration)*time.Minute).UTC()
		m.Status, m.Updated = store.MeetingBooked, s.Now().UTC()
		if m.VideoProvider != "" {
			m.Status = store.MeetingBooking
			s.expectWake(m.ID)
		}
		if err := tx.AddHolds(ctx, holdsOf(m, []time.Time{m.Start})); err != nil {
			return err
		}
		if err := tx.UpdateMeeting(ctx, m); err != nil {
			return err
		}
		chosen = m
		if commit != nil {
			if err := commit(ctx, tx, m); err != nil {
				return err
			}
		}
		if m.Status == store.MeetingBooking {
			return s.Jobs.Enqueue(ctx, tx, videoCreate{AccountID: m.AccountID, MeetingID: m.ID}, uniqueArgs)
		}
		return s.enqueueDeliver(ctx, tx, m, deliverRequest, nil)
	})
	if err != nil {
		s.forget(id)
		return nil, s.changeError(err)
	}
	return chosen, nil
}
