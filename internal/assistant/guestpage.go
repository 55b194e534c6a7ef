package assistant

import (
	"context"
	"strings"
	"time"

	"github.com/convene/convene/internal/assistant/understand"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The guest's page behind a choice link is internal/web/pages' proposal
// page; what it asks of the core (pages.GuestAnswers: the proposal, a
// pick, "none works") is answered here for the link, so that an answer
// on the page is the very event a reply in words is: the same decide,
// the same state machine (every guest must agree; a time taken meanwhile
// gets new options; the organizer hears what a reply would tell them),
// one step recorded exactly once with all its effects, under the name of
// the link, which it uses up.

// GuestAnswers answers the guest's page behind one choice link. It
// implements pages.GuestAnswers (booking's types only: the assistant
// never imports a front end); the page's guest must be the one the link
// is bound to.
type GuestAnswers struct {
	s     *Service
	token string
}

// GuestAnswers returns the answers of the page behind token; the token is
// checked again on every call.
func (s *Service) GuestAnswers(token string) *GuestAnswers {
	return &GuestAnswers{s: s, token: token}
}

// maxGuestNote bounds the note of a guest for whom no time works, as
// booking's page answers do.
const maxGuestNote = 1000

// bound checks that g is the guest, meeting and account the link names.
func bound(v *LinkView, g booking.Guest) error {
	if v.MeetingID == "" || v.AccountID != g.AccountID || v.MeetingID != g.MeetingID || !strings.EqualFold(v.Email, g.Email) {
		return failure.New(failure.NotFound, "no meeting %s for %s", g.MeetingID, g.Email)
	}
	return nil
}

// refusal is the failure of an answer through a link that cannot answer.
func refusal(v *LinkView) error {
	switch v.Problem {
	case ProblemBusy:
		return failure.New(failure.Unavailable, "another answer about this meeting is being recorded; try again in a moment")
	case ProblemUsed:
		return failure.New(failure.Conflict, "this link was already used: your answer is recorded")
	case ProblemReplaced:
		return failure.New(failure.Conflict, "newer times were sent to you: answer with the latest e-mail")
	case ProblemExpired:
		return failure.New(failure.Conflict, "this link has expired: reply to the e-mail instead")
	case ProblemClosed:
		return failure.New(failure.Conflict, "this meeting is settled: there is nothing more to choose")
	}
	return failure.New(failure.NotFound, "this link does not work")
}

// GuestProposal returns the meeting as the link's guest sees it: the
// round's times not yet begun while the link may answer; else what became
// of the meeting, without times.
func (a *GuestAnswers) GuestProposal(ctx context.Context, g booking.Guest) (*booking.GuestProposal, error) {
	v, tg, err := a.s.check(ctx, a.token)
	if err != nil {
		return nil, err
	}
	if tg == nil {
		return nil, refusal(v)
	}
	if err := bound(v, g); err != nil {
		return nil, err
	}
	return a.s.guestProposal(v, tg)
}

// guestProposal is the page's view of a genuine link.
func (s *Service) guestProposal(v *LinkView, tg *linkTarget) (*booking.GuestProposal, error) {
	m, d, g := tg.m, tg.d, tg.d.Guests[tg.gi]
	if m == nil {
		return nil, failure.New(failure.NotFound, "this meeting is gone")
	}
	p := &booking.GuestProposal{MeetingID: m.ID, Status: m.Status, Subject: d.Subject, Description: m.Description,
		Organizer: booking.PersonView{Email: tg.org.Email, Name: tg.org.Name}, Duration: m.Duration, TimeZone: g.TimeZone,
		Start: m.Start, End: m.End, GuestName: g.Name}
	if d.Duration > 0 {
		p.Duration = d.Duration
	}
	for _, at := range m.Attendees {
		if strings.EqualFold(at.Email, g.Email) {
			p.Response = at.Response
		}
	}
	if v.State != LinkConfirm {
		return p, nil
	}
	// Answerable: the round's times are on offer (also to move a booked
	// meeting), those already begun left out.
	p.Status = store.MeetingProposed
	now := s.now()
	for _, o := range d.Options {
		if o.Start.After(now) {
			p.Options = append(p.Options, booking.ProposedTime{Start: o.Start, End: o.End})
		}
	}
	return p, nil
}

// GuestChoose is the guest's pick of one of the round's times on the
// page: the guest accepts that option, as "the second one" in a reply
// would, and the meeting is booked once every guest agrees.
func (a *GuestAnswers) GuestChoose(ctx context.Context, g booking.Guest, start time.Time) (*booking.GuestProposal, error) {
	return a.answer(ctx, g, func(ctx context.Context, t *turn, tg *linkTarget) (string, error) {
		k := -1
		for i, o := range t.d.Options {
			if o.Start.Equal(start) && o.Start.After(t.now) {
				k = i
			}
		}
		if k < 0 {
			return "", failure.Field("start_time", "%s is not one of the times offered", start.UTC().Format(time.RFC3339))
		}
		how := "the link's own"
		if k != tg.c.Option {
			how = "another one on the link's page"
		}
		t.say("guest %s chose option %d (%s)", tg.c.Guest, k+1, how)
		return a.s.accept(ctx, t, tg.gi, k, true)
	})
}

// GuestDecline is the guest's "none of these times works" on the page,
// with a note: the event of a reply saying so, the note read as its words
// ("next week?" asks for new times then). New times go to the guests who
// still take part, or, when none is free, the organizer is asked.
func (a *GuestAnswers) GuestDecline(ctx context.Context, g booking.Guest, note string) (*booking.GuestProposal, error) {
	note = strings.TrimSpace(note)
	if len([]rune(note)) > maxGuestNote {
		return nil, failure.Field("note", "use at most %d characters", maxGuestNote)
	}
	return a.answer(ctx, g, func(ctx context.Context, t *turn, tg *linkTarget) (string, error) {
		return a.s.noneWorks(ctx, t, tg, note)
	})
}

// answer runs act as the link's answer and returns the page's view of
// what it did.
func (a *GuestAnswers) answer(ctx context.Context, g booking.Guest, act func(context.Context, *turn, *linkTarget) (string, error)) (*booking.GuestProposal, error) {
	v, _, err := a.s.check(ctx, a.token)
	if err != nil {
		return nil, err
	}
	if err := bound(v, g); err != nil {
		return nil, err
	}
	v, err = a.s.answer(ctx, a.token, act)
	if err != nil {
		return nil, err
	}
	if v.State == LinkRefused {
		return nil, refusal(v)
	}
	outcome := v.State
	v, tg, err := a.s.check(ctx, a.token)
	if err != nil {
		return nil, err
	}
	if tg == nil {
		return nil, refusal(v)
	}
	p, err := a.s.guestProposal(v, tg)
	if err != nil {
		return nil, err
	}
	p.Outcome = outcome
	return p, nil
}

// noneWorks is a guest's "none of these times works" given through a
// link, with their note as the reply's words: decide's answer to it
// (new options in the window the note asks for, else in the working days
// after the last option).
func (s *Service) noneWorks(ctx context.Context, t *turn, tg *linkTarget, note string) (string, error) {
	d := t.d
	g := d.Guests[tg.gi]
	loc, err := time.LoadLocation(g.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	res := understand.Parse(note, understand.Context{Now: t.now, Zone: loc, Language: understand.Language(g.Language), Sender: g.Email})
	ev := event{Role: roleGuest, Intent: understand.IntentNoneWork, Option: -1, HasTime: res.Request.HasTime(), Words: wordCount(note)}
	act, why := decide(t.th.State, d, ev)
	t.say("guest %s said none of the times works, on the link's page: %s", g.Email, why)
	if act != doNewOptions {
		return booking.GuestTold, t.finish(ctx)
	}
	round := d.Round
	from, to := t.windowAsked(res.Request, loc)
	out, err := s.newOptions(ctx, t, from, to, "", true)
	switch {
	case err != nil:
		return "", err
	case out == choiceFailed:
		return booking.GuestFailed, nil
	case t.d.Round > round:
		return booking.GuestNewTimes, nil
	}
	return booking.GuestTold, nil
}
