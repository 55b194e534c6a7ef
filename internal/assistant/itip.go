package assistant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
)

// Answers from calendars (RFC 5546): an attendee's calendar sends an iTIP
// REPLY (accepted, declined, tentative) or a COUNTER (another time) to the
// ORGANIZER of the invitation, which is the organizer's own address
// (Gmail and Outlook want it so). Convene sees them when they reach the
// assistant: the organizer's mailbox redirects them (a server-side
// redirect keeps the attendee's DKIM signature, so the answer still
// proves its sender), or the attendee sends them to the assistant. Either
// way an answer counts only from that attendee's own authenticated
// address, for a meeting they are invited to, and not when it answers an
// older version of it (RFC 5546 §2.1.5).

// calendarAnswer handles a message whose calendar part is a REPLY or a
// COUNTER.
func (s *Service) calendarAnswer(ctx context.Context, in *incoming) error {
	acctID, id := in.msg.AccountID, in.msg.ID
	notDone := func(format string, args ...any) error {
		return s.finishStep(ctx, acctID, id, "", outcomeNotProcessed, fmt.Sprintf(format, args...))
	}
	var (
		uid, attendee, comment string
		seq                    int
		occurrence             time.Time
		reply                  *invite.Reply
		counterOf              *invite.Counter
	)
	switch in.m.Calendar.Method {
	case "REPLY":
		rs, err := invite.ParseReply(in.m.Calendar.Data)
		if err != nil {
			return notDone("an iTIP REPLY that cannot be read: %v", err)
		}
		reply = &rs[0]
		uid, attendee, seq, occurrence, comment = reply.UID, reply.Attendee.Email, reply.Sequence, reply.RecurrenceID, reply.Comment
	default:
		c, err := invite.ParseCounter(in.m.Calendar.Data)
		if err != nil {
			return notDone("an iTIP COUNTER that cannot be read: %v", err)
		}
		counterOf = c
		uid, attendee, seq, occurrence, comment = c.UID, c.Attendee.Email, c.Sequence, c.RecurrenceID, c.Comment
	}
	m, err := s.meetingOfUID(ctx, acctID, uid)
	if errors.Is(err, store.ErrNotFound) {
		return notDone("an iTIP %s about no meeting of this account (UID %s)", in.m.Calendar.Method, uid)
	}
	if err != nil {
		return err
	}
	// Only the attendee answers for themselves: the ATTENDEE of the
	// answer must be the address the mail is proven to come from.
	if !strings.EqualFold(attendee, in.sender.Address) {
		return notDone("an iTIP %s for %s sent by %s: an answer counts only from the attendee's own address", in.m.Calendar.Method, attendee, in.sender.Address)
	}
	var at *store.Attendee
	for i := range m.Attendees {
		if strings.EqualFold(m.Attendees[i].Email, attendee) {
			at = &m.Attendees[i]
		}
	}
	if at == nil {
		return notDone("an iTIP %s from %s, who is not invited to meeting %s", in.m.Calendar.Method, attendee, m.ID)
	}
	if seq < m.Sequence {
		return notDone("an iTIP %s about an older version of meeting %s (SEQUENCE %d < %d)", in.m.Calendar.Method, m.ID, seq, m.Sequence)
	}
	if m.Status != store.MeetingBooked && m.Status != store.MeetingBooking {
		return notDone("an iTIP %s about meeting %s, which is %s", in.m.Calendar.Method, m.ID, m.Status)
	}
	acct, err := s.Store.Account(ctx, acctID)
	if err != nil {
		return err
	}
	org, err := s.Store.User(ctx, acctID, m.OrganizerID)
	if err != nil {
		return err
	}
	t, err := s.threadOfMeeting(ctx, id, acct, org, m, in)
	if errors.Is(err, errBusy) {
		return jobs.Snooze(2 * time.Second)
	}
	if err != nil {
		return err
	}
	defer t.release(ctx)
	d := t.d
	who := at.Email
	if at.Name != "" {
		who = at.Name
	}
	when := invite.FormatRange(m.Start, m.End, d.TimeZone, d.Language)
	if reply != nil {
		resp := strings.ToLower(string(reply.PartStat))
		switch reply.PartStat {
		case invite.PartStatAccepted, invite.PartStatDeclined, invite.PartStatTentative:
		default:
			t.outcome = outcomeNotProcessed
			t.say("an iTIP REPLY %s from %s: not recorded", reply.PartStat, attendee)
			return s.finishTurn(ctx, t)
		}
		if !occurrence.IsZero() {
			// One occurrence's answer: the meeting keeps one response per
			// attendee; the organizer is told.
			t.say("%s answered %s for the occurrence of %s", attendee, resp, occurrence.Format(time.RFC3339))
			when = invite.FormatRange(occurrence, occurrence.Add(m.End.Sub(m.Start)), d.TimeZone, d.Language)
		} else if at.Response != resp {
			t.say("%s answered %s (iTIP REPLY)", attendee, resp)
		} else {
			t.say("%s answered %s again: nothing changes", attendee, resp)
			return s.finishTurn(ctx, t)
		}
		t.toOrganizer("response", func(l *letterData) {
			l.Guest, l.Reason, l.When, l.Text, l.Subject = who, resp, when, quote(comment), m.Subject
		})
		return s.Store.InTx(ctx, func(tx *store.DB) error {
			if occurrence.IsZero() {
				if err := tx.SetResponse(ctx, acctID, m.ID, strings.ToLower(at.Email), resp); err != nil {
					return err
				}
			}
			return t.commit(ctx, tx, nil)
		})
	}
	c := counterOf
	d.Counter = &counter{Email: at.Email, Start: c.Start.UTC(), End: c.End.UTC()}
	d.Question = askCounter
	t.toOrganizer("counter", func(l *letterData) {
		l.Guest, l.When, l.Text, l.Subject = who, invite.FormatRange(c.Start, c.End, d.TimeZone, d.Language), quote(comment), m.Subject
	})
	t.say("%s proposes %s (iTIP COUNTER): the organizer is asked", attendee, c.Start.Format(time.RFC3339))
	return s.finishTurn(ctx, t)
}

// finishTurn commits a turn and returns Process's answer.
func (s *Service) finishTurn(ctx context.Context, t *turn) error {
	if err := t.finish(ctx); err != nil {
		return err
	}
	return t.result()
}

// meetingOfUID finds the account's meeting with an iCalendar UID (Convene
// writes ID@convene).
func (s *Service) meetingOfUID(ctx context.Context, accountID, uid string) (*store.Meeting, error) {
	id, ok := strings.CutSuffix(uid, "@convene")
	if !ok || id == "" {
		return nil, store.ErrNotFound
	}
	m, err := s.Store.Meeting(ctx, accountID, id)
	if err != nil {
		return nil, err
	}
	if m.UID != uid {
		return nil, store.ErrNotFound
	}
	return m, nil
}

// threadOfMeeting returns a turn on the meeting's thread, leased; a
// meeting booked without the assistant (through the API) gets a thread of
// its own, so that the organizer can answer the assistant's mail about it.
func (s *Service) threadOfMeeting(ctx context.Context, stepID string, acct *store.Account, org *store.User, m *store.Meeting, in *incoming) (*turn, error) {
	th, err := s.Store.ThreadOfMeeting(ctx, acct.ID, m.ID)
	if err == nil {
		if th, err = s.lease(ctx, acct.ID, th.ID, stepID); err != nil {
			return nil, err
		}
		t, err := s.newTurn(ctx, stepID, acct, org, th, in)
		if err != nil {
			s.Store.ReleaseThread(context.WithoutCancel(ctx), acct.ID, th.ID, stepID)
		}
		return t, err
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	t, err := s.newTurn(ctx, stepID, acct, org, nil, in)
	if err != nil {
		return nil, err
	}
	t.isNew = true
	t.th = &store.Thread{ID: s.newID("thr_"), AccountID: acct.ID, OrganizerID: org.ID, MeetingID: m.ID, State: stateBooked}
	t.d = &threadData{Subject: m.Subject, TimeZone: m.TimeZone, Duration: m.Duration, Provider: m.VideoProvider,
		Language: organizerLanguage(org, acct, ""), Booked: m.Created}
	for _, a := range m.Attendees {
		t.d.Attendees = append(t.d.Attendees, person{Email: a.Email, Name: a.Name, Internal: a.UserID != ""})
		if a.UserID == "" {
			t.d.Guests = append(t.d.Guests, guest{Email: a.Email, Name: a.Name, Language: organizerLanguage(org, acct, ""),
				TimeZone: m.TimeZone, Status: guestAnswered})
		}
	}
	return t, nil
}
