package assistant

import (
	"context"
	"fmt"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/store"
)

// Proposals made without the assistant (POST /api/v1/meetings with a
// window and external guests, the organizer's "find a time" page) are
// adopted by it: DESIGN.md §1 and §2 say external attendees receive the
// proposed times by e-mail and answer by replying. Adopt is booking's
// OnProposal: in the transaction that records the proposal, it starts the
// meeting's thread and queues each guest's options (in the organizer's
// language and the meeting's zone: nothing else is known of the guest),
// with their links; from then on the conversation is the one a request by
// mail starts (links, replies in words, agreement, reminders), except
// that the organizer, who has the options in the API's answer, gets no
// list by mail. An account with no assistant address (no verified domain)
// has nowhere for guests to answer: its proposals are not mailed.

var _ booking.Commit = (*Service)(nil).Adopt

// Adopt starts the thread of a proposal booking recorded in tx and queues
// the mail of its options to each guest, in tx. The step "proposal:ID"
// records it, once.
func (s *Service) Adopt(ctx context.Context, tx *store.DB, m *store.Meeting) error {
	if m.Status != store.MeetingProposed {
		return nil
	}
	acct, err := tx.Account(ctx, m.AccountID)
	if err != nil {
		return fmt.Errorf("assistant: adopt %s: %w", m.ID, err)
	}
	org, err := tx.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return fmt.Errorf("assistant: adopt %s: %w", m.ID, err)
	}
	addr, err := s.Accounts.AssistantAddressIn(ctx, tx, acct)
	if err != nil {
		return err
	}
	if addr == "" {
		// No verified domain, so no address the guests could answer:
		// the proposal stands, chosen through the API, as before.
		s.log().Info("assistant: proposal not mailed: the account has no assistant address (no verified domain)", "meeting", m.ID)
		return nil
	}
	t, err := s.newTurnFrom(ctx, fromAddress(addr), "proposal:"+m.ID, acct, org, nil, nil)
	if err != nil {
		return err
	}
	t.isNew = true
	t.th = &store.Thread{ID: s.newID("thr_"), AccountID: acct.ID, OrganizerID: org.ID, MeetingID: m.ID, State: stateProposed}
	lang := organizerLanguage(org, acct, m.Language)
	t.d = &threadData{Subject: m.Subject, Description: m.Description, Duration: m.Duration, TimeZone: m.TimeZone,
		Provider: m.VideoProvider, Language: lang}
	if t.d.Provider == "" {
		t.d.Provider = "none"
	}
	for _, a := range m.Attendees {
		t.d.Attendees = append(t.d.Attendees, person{Email: a.Email, Name: a.Name, Internal: a.UserID != ""})
		if a.UserID == "" {
			t.d.Guests = append(t.d.Guests, guest{Email: a.Email, Name: a.Name, Language: lang, TimeZone: m.TimeZone, Status: guestWaiting})
		}
	}
	if len(t.d.Guests) == 0 {
		return nil
	}
	if err := t.proposed(m, true); err != nil {
		return err
	}
	t.say("adopted a proposal made without the assistant")
	if err := t.commit(ctx, tx, m); err != nil {
		return err
	}
	t.logDone()
	return nil
}
