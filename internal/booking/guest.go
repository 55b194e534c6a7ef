package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// A guest's answer to a proposal, given on a web page (the page behind a
// proposal link). Whoever serves that page has verified the link first:
// these functions take a Guest, the meeting and address a verified link
// names, and check only what the meeting says of them:
//   - the address must be an attendee of the meeting (anyone else is told
//     there is no such meeting, exactly as for a meeting that does not
//     exist);
//   - a guest picks one of the proposed times; the meeting is then booked
//     as the organizer would book it (Choose), and a second pick of the
//     same time changes nothing;
//   - "none of these times" records the guest's refusal and mails the
//     organizer the guest's note; nothing else changes.

// Guest is a guest of a meeting, as a verified guest link names them.
type Guest struct {
	AccountID string
	MeetingID string
	Email     string
}

// GuestProposal is a proposed meeting as its guest sees it.
type GuestProposal struct {
	MeetingID   string
	Status      string
	Subject     string
	Description string
	Organizer   PersonView
	Duration    int
	TimeZone    string // the meeting's
	Options     []ProposedTime
	// Start and End are the meeting's time once booked.
	Start, End time.Time
	// Response is the guest's: needs-action, accepted, declined…
	Response  string
	GuestName string
	// Outcome says what an answer did (GuestChoose, GuestDecline, or
	// another GuestAnswers such as the e-mail assistant's): one of the
	// Guest* outcomes; "" when nothing was answered.
	Outcome string
}

// Outcomes of a guest's answer (GuestProposal.Outcome), for the page that
// thanks the guest.
const (
	GuestBooked   = "booked"    // the meeting is booked at the time picked
	GuestAccepted = "accepted"  // recorded; the other guests have yet to agree
	GuestTaken    = "taken"     // the time was taken meanwhile: new times are on their way by mail
	GuestNewTimes = "new_times" // none of the times works: new ones are on their way by mail
	GuestTold     = "told"      // the organizer is told (none works) and decides
	GuestFailed   = "failed"    // it could not be booked; the organizer is told
)

// ProposedTime is one option of a proposal.
type ProposedTime struct {
	Start, End time.Time
}

// guestMeeting loads the meeting a guest is invited to.
func (s *Service) guestMeeting(ctx context.Context, st *store.DB, g Guest, forUpdate bool) (*store.Meeting, *store.Attendee, error) {
	notFound := failure.New(failure.NotFound, "no meeting %s for %s", g.MeetingID, g.Email)
	email, err := account.NormalizeEmail(g.Email)
	if err != nil || g.AccountID == "" || g.MeetingID == "" {
		return nil, nil, notFound
	}
	var m *store.Meeting
	if forUpdate {
		m, err = st.MeetingForUpdate(ctx, g.AccountID, g.MeetingID)
	} else {
		m, err = st.Meeting(ctx, g.AccountID, g.MeetingID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("booking: guest's meeting: %w", err)
	}
	for i := range m.Attendees {
		if m.Attendees[i].Email == email {
			return m, &m.Attendees[i], nil
		}
	}
	return nil, nil, notFound
}

func (s *Service) guestView(ctx context.Context, m *store.Meeting, a *store.Attendee) (*GuestProposal, error) {
	org, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, fmt.Errorf("booking: organizer of %s: %w", m.ID, err)
	}
	v := &GuestProposal{MeetingID: m.ID, Status: m.Status, Subject: m.Subject, Description: m.Description,
		Organizer: PersonView{Email: org.Email, Name: org.Name}, Duration: m.Duration, TimeZone: m.TimeZone,
		Start: m.Start, End: m.End, Response: a.Response, GuestName: a.Name}
	if m.Status == store.MeetingProposed {
		opts, err := proposedTimes(m)
		if err != nil {
			return nil, err
		}
		v.Options = opts
	}
	return v, nil
}

// proposedTimes reads a proposal's options.
func proposedTimes(m *store.Meeting) ([]ProposedTime, error) {
	var out []ProposedTime
	if len(m.Options) <= 2 {
		return out, nil
	}
	var opts []option
	if err := json.Unmarshal(m.Options, &opts); err != nil {
		return nil, fmt.Errorf("booking: options of %s: %w", m.ID, err)
	}
	for _, o := range opts {
		st, err1 := time.Parse(time.RFC3339, o.StartTime)
		en, err2 := time.Parse(time.RFC3339, o.EndTime)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("booking: options of %s: %w", m.ID, err)
		}
		out = append(out, ProposedTime{Start: st.UTC(), End: en.UTC()})
	}
	return out, nil
}

// GuestProposal returns the meeting a guest is invited to, with its
// options while it is proposed.
func (s *Service) GuestProposal(ctx context.Context, g Guest) (*GuestProposal, error) {
	m, a, err := s.guestMeeting(ctx, s.Store, g, false)
	if err != nil {
		return nil, err
	}
	return s.guestView(ctx, m, a)
}

// organizerOf returns the principal of a meeting's organizer, who books
// the guest's choice.
func (s *Service) organizerOf(ctx context.Context, m *store.Meeting) (account.Principal, error) {
	org, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return account.Principal{}, fmt.Errorf("booking: organizer of %s: %w", m.ID, err)
	}
	return account.PrincipalOf(org), nil
}

// GuestChoose books a proposed meeting at the option a guest picked. The
// same pick again (a second click) returns the booked meeting; a meeting
// booked at another time, or cancelled, is a Conflict.
func (s *Service) GuestChoose(ctx context.Context, g Guest, start time.Time) (*GuestProposal, error) {
	m, a, err := s.guestMeeting(ctx, s.Store, g, false)
	if err != nil {
		return nil, err
	}
	switch m.Status {
	case store.MeetingProposed:
	case store.MeetingBooked, store.MeetingBooking:
		if m.Start.Equal(start) {
			v, err := s.guestView(ctx, m, a)
			if err == nil {
				v.Outcome = GuestBooked
			}
			return v, err
		}
		return nil, failure.New(failure.Conflict, "this meeting is already booked for another time")
	default:
		return nil, failure.New(failure.Conflict, "this meeting is %s", m.Status)
	}
	p, err := s.organizerOf(ctx, m)
	if err != nil {
		return nil, err
	}
	if _, err := s.Choose(ctx, p, m.ID, start.UTC().Format(time.RFC3339)); err != nil {
		if fe, ok := failure.As(err); ok && fe.Kind == failure.Conflict && fe.Extra["conflicting_meeting"] != nil {
			return nil, failure.New(failure.Conflict, "this time is no longer free for %s; choose another or tell them none works", m.Subject)
		}
		return nil, err
	}
	if err := s.Store.SetResponse(ctx, m.AccountID, m.ID, a.Email, "accepted"); err != nil {
		return nil, fmt.Errorf("booking: guest's answer: %w", err)
	}
	v, err := s.GuestProposal(ctx, g)
	if err != nil {
		return nil, err
	}
	v.Outcome = GuestBooked
	return v, nil
}

// maxGuestNote bounds the note of a guest for whom no time works.
const maxGuestNote = 1000

// guestDeclined is the notice kind of a guest for whom no time works.
const noticeGuestDeclined = "guest-declined"

// GuestDecline records that none of a proposal's times suits a guest and
// mails the organizer the guest's note.
func (s *Service) GuestDecline(ctx context.Context, g Guest, note string) (*GuestProposal, error) {
	note = strings.TrimSpace(note)
	if len([]rune(note)) > maxGuestNote {
		return nil, failure.Field("note", "use at most %d characters", maxGuestNote)
	}
	var out *store.Meeting
	var guest *store.Attendee
	err := s.Store.InTx(ctx, func(tx *store.DB) error {
		m, a, err := s.guestMeeting(ctx, tx, g, true)
		if err != nil {
			return err
		}
		if m.Status != store.MeetingProposed {
			return failure.New(failure.Conflict, "this meeting is %s, no longer a proposal", m.Status)
		}
		out, guest = m, a
		if a.Response == "declined" && note == "" {
			return nil
		}
		if err := tx.SetResponse(ctx, m.AccountID, m.ID, a.Email, "declined"); err != nil {
			return err
		}
		a.Response = "declined"
		org, err := tx.User(ctx, m.AccountID, m.OrganizerID)
		if err != nil {
			return err
		}
		who := a.Email
		if a.Name != "" {
			who = a.Name + " <" + a.Email + ">"
		}
		text := who + " says none of the proposed times works."
		if org.Language == "fr" {
			text = who + " indique qu'aucun des horaires proposés ne convient."
		}
		if note != "" {
			text += "\r\n\r\n" + note
		}
		return s.enqueueNotice(ctx, tx, m, noticeGuestDeclined, text)
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("booking: guest's answer: %w", err)
	}
	v, err := s.guestView(ctx, out, guest)
	if err != nil {
		return nil, err
	}
	v.Outcome = GuestTold
	return v, nil
}
