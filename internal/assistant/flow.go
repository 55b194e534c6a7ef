package assistant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/assistant/understand"
	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
)

// Outcomes of a guest's choice, for the choice page.
// They are booking's outcomes of a guest's answer (GuestProposal.Outcome),
// which the guests' page shows.
const (
	choiceBooked   = booking.GuestBooked   // the meeting is booked at it
	choiceAccepted = booking.GuestAccepted // recorded; other guests have not agreed yet
	choiceTaken    = booking.GuestTaken    // the time was taken meanwhile: new options went out
	choiceFailed   = booking.GuestFailed   // the booking failed; the organizer is told
)

// inThread handles a message in a thread: who wrote it, what it asks,
// and what decide makes of that in the thread's state.
func (s *Service) inThread(ctx context.Context, found *store.Thread, in *incoming) error {
	th, err := s.lease(ctx, found.AccountID, found.ID, in.msg.ID)
	if errors.Is(err, errBusy) {
		return jobs.Snooze(2 * time.Second)
	}
	if err != nil {
		return err
	}
	acct, err := s.Store.Account(ctx, th.AccountID)
	if err != nil {
		s.Store.ReleaseThread(context.WithoutCancel(ctx), th.AccountID, th.ID, in.msg.ID)
		return err
	}
	org, err := s.Store.User(ctx, th.AccountID, th.OrganizerID)
	if err != nil {
		s.Store.ReleaseThread(context.WithoutCancel(ctx), th.AccountID, th.ID, in.msg.ID)
		return err
	}
	t, err := s.newTurn(ctx, in.msg.ID, acct, org, th, in)
	if err != nil {
		s.Store.ReleaseThread(context.WithoutCancel(ctx), th.AccountID, th.ID, in.msg.ID)
		return err
	}
	defer t.release(ctx)
	d := t.d
	ev := event{Role: roleOther, Option: -1}
	gi := -1
	switch {
	case in.sender.UserID != "" && in.sender.UserID == th.OrganizerID:
		ev.Role = roleOrganizer
	case d.guestIndex(in.sender.Address) >= 0:
		ev.Role, gi = roleGuest, d.guestIndex(in.sender.Address)
	case in.sender.UserID != "":
		if _, ok := d.attendee(in.sender.Address); ok {
			ev.Role = roleColleague
		}
	}
	d.addRef(in.m.Keys.MessageID)
	if in.auto {
		t.outcome = outcomeNotProcessed
		t.say("an automatic message (out of office, list) from the %s: ignored", ev.Role)
		if err := t.finish(ctx); err != nil {
			return err
		}
		return t.result()
	}
	zone := d.TimeZone
	switch ev.Role {
	case roleOrganizer:
		d.OrganizerLast = in.m.Keys.MessageID
	case roleGuest:
		g := &d.Guests[gi]
		g.Last = in.m.Keys.MessageID
		// A guest's zone: their mail's Date offset tells where they are.
		if _, off := in.m.Date.Zone(); !in.m.Date.IsZero() && off != 0 {
			if z := zoneForOffset(off, in.m.Date, g.TimeZone); z != "" {
				g.TimeZone = z
			}
		}
		zone = g.TimeZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	var opts []slot
	if negotiating(th.State, d) {
		opts = d.Options
	}
	res := s.understand(in, loc, opts)
	if ev.Role == roleGuest && res.Request.Zone != nil && res.Request.Zone.String() != zone && res.Request.Zone.String() != "UTC" {
		// "10am ET": the guest said where they are.
		d.Guests[gi].TimeZone = res.Request.Zone.String()
	}
	text := in.m.RequestText()
	ev.Intent, ev.Option, ev.HasTime = res.Intent, res.Option, res.Request.HasTime()
	ev.Continue, ev.NewTimes, ev.Words = hasWords(text, continueWords), hasWords(text, newTimesWords), wordCount(text)
	act, why := decide(th.State, d, ev)
	t.say("%s (%s): %s", ev.Role, orNone(string(res.Intent)), why)
	if act == doNothing && ev.Role == roleOther {
		t.outcome = outcomeNotProcessed
	}
	var outcome string
	switch act {
	case doBook:
		t.merge(ctx, res, in, false)
		err = s.tryBook(ctx, t)
	case doCancel:
		err = s.cancel(ctx, t)
	case doAccept:
		k := res.Option
		if res.Intent == understand.IntentAccept {
			k = 0
		}
		outcome, err = s.accept(ctx, t, gi, k, false)
	case doAskWhich:
		t.toGuest(gi, "ask_which", true, nil)
		err = t.finish(ctx)
	case doNewOptions:
		from, to := t.windowAsked(res.Request, loc)
		quiet := ev.Role != roleOrganizer
		outcome, err = s.newOptions(ctx, t, from, to, "", quiet)
	case doDecline:
		err = s.decline(ctx, t, ev.Role, gi, text)
	case doReschedule:
		err = s.reschedule(ctx, t, res.Request, loc)
	case doDuration:
		err = s.changeDuration(ctx, t, res)
	case doProvider:
		err = s.changeProvider(ctx, t, res.Request.VideoProvider)
	case doPick:
		outcome, err = s.bookOption(ctx, t, res.Option)
	case doContinue:
		outcome, err = s.continueWithout(ctx, t)
	case doAcceptCounter:
		err = s.acceptCounter(ctx, t)
	case doTellOrganizer:
		g := d.Guests[max(gi, 0)]
		who := in.sender.Address
		if gi >= 0 {
			who = g.label()
		}
		t.toOrganizer("guest_note", func(l *letterData) { l.Guest, l.Text = who, quote(text) })
		err = t.finish(ctx)
	default:
		err = t.finish(ctx)
	}
	_ = outcome
	if err != nil {
		return err
	}
	return t.result()
}

func orNone(s string) string {
	if s == "" {
		return "no intent"
	}
	return s
}

// windowAsked is the window a message asks for: its time (then the next
// working days), its window, else the working days after the last option.
func (t *turn) windowAsked(r understand.Request, loc *time.Location) (time.Time, time.Time) {
	now := t.now
	switch {
	case !r.Start.IsZero() && r.Start.After(now):
		day := time.Date(r.Start.In(loc).Year(), r.Start.In(loc).Month(), r.Start.In(loc).Day(), 0, 0, 0, 0, loc)
		from := r.Start
		if day.After(now) {
			from = day // the whole day: the time asked is among the options if free
		}
		return from, addWorkingDays(r.Start, workingDays, loc)
	case r.Window != nil && r.Window.To.After(now.Add(time.Hour)):
		from := r.Window.From
		if from.Before(now) {
			from = now
		}
		return from, r.Window.To
	}
	from := now
	for _, o := range t.d.Options {
		if o.End.After(from) {
			from = o.End
		}
	}
	return from, addWorkingDays(from, workingDays, loc)
}

// accept records that guest gi accepts option k and books once every
// guest agrees; with several guests who answered without a common time,
// the organizer decides.
func (s *Service) accept(ctx context.Context, t *turn, gi, k int, viaLink bool) (string, error) {
	d := t.d
	g := &d.Guests[gi]
	if !slices.Contains(g.Accepted, k) {
		g.Accepted = append(g.Accepted, k)
	}
	g.Status = guestAnswered
	t.say("%s accepts option %d", g.Email, k+1)
	if a := d.agreed(); a >= 0 {
		return s.bookOption(ctx, t, a)
	}
	if d.allAnswered() {
		d.Question = askNoCommon
		var who []string
		for _, x := range d.Guests {
			if !x.active() {
				continue
			}
			var nums []string
			for _, n := range x.Accepted {
				nums = append(nums, strconv.Itoa(n+1))
			}
			who = append(who, x.label()+": "+strings.Join(nums, ", "))
		}
		l := t.toOrganizer("no_common", func(l *letterData) { l.Reason = strings.Join(who, "; ") })
		l.Options = t.organizerOptions()
		t.say("every guest answered and no time suits all: the organizer decides")
	} else if !viaLink {
		t.toGuest(gi, "guest_thanks", false, nil)
	}
	return choiceAccepted, t.finish(ctx)
}

// slotFree reports whether the organizer and the colleagues invited are
// all still free at o (their calendars may have changed since the options
// went out).
func (s *Service) slotFree(ctx context.Context, t *turn, o slot) (bool, error) {
	if s.Calendars == nil {
		return true, nil
	}
	people := []string{t.org.Email}
	for _, a := range t.d.Attendees {
		if a.Internal {
			people = append(people, a.Email)
		}
	}
	loc, err := time.LoadLocation(t.d.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	res, err := s.Calendars.Availability(ctx, principalOf(t.org), calendar.AvailabilityRequest{Attendees: people, Duration: o.End.Sub(o.Start),
		From: o.Start, To: o.End, Location: loc, Ranking: availability.Earliest, Limit: 1})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return false, nil
		}
		return false, err
	}
	return len(res.Slots) > 0 && res.Slots[0].Start.Equal(o.Start), nil
}

// bookOption books option k for everyone: the proposal through the same
// path as POST /api/v1/meetings/{id}/choose, or a booked meeting moved
// there. A time taken meanwhile gets new options, never a double booking.
func (s *Service) bookOption(ctx context.Context, t *turn, k int) (string, error) {
	d := t.d
	if k < 0 || k >= len(d.Options) {
		return "", fmt.Errorf("assistant: option %d of %d", k, len(d.Options))
	}
	o := d.Options[k]
	free, err := s.slotFree(ctx, t, o)
	if err != nil {
		return "", err
	}
	if !free {
		t.say("option %d is no longer free", k+1)
		return s.slotTaken(ctx, t)
	}
	if d.Moving {
		if err := s.move(ctx, t, o.Start, 0); err != nil {
			return "", err
		}
		if t.th.State == stateBooked && !d.Moving {
			return choiceBooked, nil
		}
		return choiceFailed, nil
	}
	restore := t.snapshot()
	_, err = s.Booking.ChooseWith(ctx, principalOf(t.org), t.th.MeetingID, o.Start.Format(time.RFC3339),
		func(ctx context.Context, tx *store.DB, m *store.Meeting) error {
			t.booked(m)
			return t.commit(ctx, tx, m)
		})
	if err == nil {
		t.logDone()
		return choiceBooked, nil
	}
	restore()
	fe, ok := failure.As(err)
	if !ok {
		return "", fmt.Errorf("assistant: choose for %s: %w", t.th.ID, err)
	}
	if fe.Kind == failure.Conflict {
		t.say("option %d was taken: %s", k+1, fe.Detail)
		return s.slotTaken(ctx, t)
	}
	t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
	t.say("not booked: %s", fe.Detail)
	return choiceFailed, t.finish(ctx)
}

// slotTaken sends new options in the next working days, the chosen time
// having been taken.
func (s *Service) slotTaken(ctx context.Context, t *turn) (string, error) {
	loc, err := time.LoadLocation(t.d.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	out, err := s.newOptions(ctx, t, t.now, addWorkingDays(t.now, workingDays, loc), "taken", true)
	if out == "" {
		out = choiceTaken
	}
	return out, err
}

// newOptions offers new options in [from, to): a proposal is searched
// again (booking.Repropose), a booked meeting gets options to move to.
// When nothing is free, the organizer is asked for another window.
func (s *Service) newOptions(ctx context.Context, t *turn, from, to time.Time, reason string, quiet bool) (string, error) {
	d := t.d
	d.Question = ""
	if t.th.State == stateBooked {
		slots, err := s.findOptions(ctx, t, from, to)
		if err != nil {
			return "", err
		}
		if len(slots) == 0 {
			return choiceTaken, s.askNoTime(ctx, t, from, to)
		}
		d.Moving = true
		d.newRound(slots, t.now)
		for gi, g := range d.Guests {
			if g.active() {
				t.toGuest(gi, "new_options", true, func(l *letterData) { l.Reason = "moving" })
			}
		}
		t.say("offered %d times to move the meeting", len(slots))
		return choiceTaken, t.finish(ctx)
	}
	restore := t.snapshot()
	_, err := s.Booking.Repropose(ctx, principalOf(t.org), t.th.MeetingID, from, to, d.Duration,
		func(ctx context.Context, tx *store.DB, m *store.Meeting) error {
			if err := t.proposed(m, quiet); err != nil {
				return err
			}
			for _, l := range t.letters {
				if l.Kind == "new_options" {
					l.Data.Reason = reason
				}
			}
			return t.commit(ctx, tx, m)
		})
	if err == nil {
		t.logDone()
		return choiceTaken, nil
	}
	restore()
	fe, ok := failure.As(err)
	if !ok {
		return "", fmt.Errorf("assistant: new options for %s: %w", t.th.ID, err)
	}
	if fe.Kind == failure.Conflict && strings.HasPrefix(fe.Detail, "no time") {
		return choiceTaken, s.askNoTime(ctx, t, from, to)
	}
	t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
	t.say("no new options: %s", fe.Detail)
	return choiceFailed, t.finish(ctx)
}

// askNoTime tells the organizer nothing is free in a window and asks for
// another.
func (s *Service) askNoTime(ctx context.Context, t *turn, from, to time.Time) error {
	d := t.d
	d.Question = askNoTime
	t.toOrganizer("no_time", func(l *letterData) {
		l.Window = windowText(from, to, d.TimeZone, d.Language)
		names := []string{t.org.Name}
		for _, a := range d.Attendees {
			if a.Internal {
				names = append(names, a.label())
			}
		}
		l.Names, l.Count = invite.ListJoin(names, d.Language), len(names)
	})
	t.say("no time free between %s and %s: the organizer is asked", from.Format(time.RFC3339), to.Format(time.RFC3339))
	return t.finish(ctx)
}

// findOptions searches options to move a booked meeting to.
func (s *Service) findOptions(ctx context.Context, t *turn, from, to time.Time) ([]slot, error) {
	m, err := s.Store.Meeting(ctx, t.acct.ID, t.th.MeetingID)
	if err != nil {
		return nil, err
	}
	people := []string{t.org.Email}
	for _, a := range m.Attendees {
		if a.UserID != "" {
			people = append(people, a.Email)
		}
	}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	res, err := s.Calendars.Availability(ctx, principalOf(t.org), calendar.AvailabilityRequest{Attendees: people,
		Duration: m.End.Sub(m.Start), From: from, To: to, Location: loc, Ranking: availability.Earliest, Limit: 20, Propose: booking.Proposals})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, nil
		}
		return nil, err
	}
	var out []slot
	for _, sl := range res.Slots {
		if !sl.Start.Equal(m.Start) {
			out = append(out, slot{Start: sl.Start.UTC(), End: sl.End.UTC()})
		}
	}
	return out, nil
}

// move reschedules the booked meeting to start (and to minutes long, when
// not 0), with the parameters planned before the change, and tells the
// organizer.
func (s *Service) move(ctx context.Context, t *turn, start time.Time, minutes int) error {
	p, err := s.planned(ctx, t.acct.ID, t.id, t.th.ID, func() (*planJSON, error) {
		return &planJSON{Action: "move", Start: start, Duration: minutes}, nil
	})
	if err != nil {
		return err
	}
	c := booking.Change{}
	st := p.Start.Format(time.RFC3339)
	c.StartTime = &st
	if p.Duration > 0 {
		c.Duration = &p.Duration
	}
	v, err := s.Booking.Reschedule(ctx, principalOf(t.org), t.th.MeetingID, c)
	if err != nil {
		fe, ok := failure.As(err)
		if !ok {
			return err
		}
		t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
		t.say("not moved: %s", fe.Detail)
		return t.finish(ctx)
	}
	d := t.d
	d.Moving, d.Options, d.Question, d.Counter = false, nil, "", nil
	d.Duration, d.Booked = v.Duration, t.now
	t.th.State = stateBooked
	t.toOrganizer("changed", func(l *letterData) {
		l.Reason = "moved"
		l.When = whenOf(v, d.Language, d.TimeZone)
	})
	t.say("moved the meeting to %s", v.StartTime)
	return t.finish(ctx)
}

// whenOf writes a meeting's time for people.
func whenOf(v *booking.View, lang, tz string) string {
	st, err1 := time.Parse(time.RFC3339, v.StartTime)
	en, err2 := time.Parse(time.RFC3339, v.EndTime)
	if err1 != nil || err2 != nil {
		return v.StartTime
	}
	return invite.FormatRange(st, en, tz, lang)
}

// cancel calls the request off: the meeting is cancelled (its invitees
// get iTIP CANCEL from booking), guests holding options are told, and the
// organizer gets a short confirmation.
func (s *Service) cancel(ctx context.Context, t *turn) error {
	d := t.d
	var told []string
	if t.th.MeetingID != "" {
		if _, err := s.Booking.Cancel(ctx, principalOf(t.org), t.th.MeetingID, "", ""); err != nil {
			fe, ok := failure.As(err)
			if !ok {
				return err
			}
			t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
			t.say("not cancelled: %s", fe.Detail)
			return t.finish(ctx)
		}
		if t.th.State == stateProposed {
			for gi, g := range d.Guests {
				if g.active() {
					t.toGuest(gi, "withdrawn", false, nil)
					told = append(told, g.label())
				}
			}
		} else {
			for _, a := range d.Attendees {
				told = append(told, a.label())
			}
		}
	}
	t.th.State = stateCancelled
	d.Question, d.Moving = "", false
	t.toOrganizer("cancelled", func(l *letterData) { l.Names = invite.ListJoin(told, d.Language) })
	t.say("cancelled")
	return t.finish(ctx)
}

// decline records that a guest (or a colleague) cannot come and tells the
// organizer. The other guests' answers still count; when no guest is left,
// the organizer is asked what to do.
func (s *Service) decline(ctx context.Context, t *turn, r role, gi int, text string) error {
	d := t.d
	who := t.in.sender.Address
	if r == roleGuest {
		g := &d.Guests[gi]
		g.Status, g.Accepted, g.Words = guestDeclined, nil, quote(text)
		who = g.label()
	} else if a, ok := d.attendee(who); ok {
		who = a.label()
	}
	booked := t.th.State == stateBooked && !d.Moving
	if booked && t.th.MeetingID != "" {
		if err := s.Store.SetResponse(ctx, t.acct.ID, t.th.MeetingID, strings.ToLower(t.in.sender.Address), "declined"); err != nil &&
			!errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	ask := false
	if !booked && r == roleGuest {
		active := 0
		for _, g := range d.Guests {
			if g.active() {
				active++
			}
		}
		ask = active == 0
	}
	if ask {
		d.Question = askDeclined
	}
	t.toOrganizer("declined", func(l *letterData) {
		l.Names, l.Count, l.Text = who, 1, quote(text)
		if ask {
			l.Reason = "ask"
		}
	})
	if !booked && r == roleGuest {
		if k := d.agreed(); k >= 0 {
			_, err := s.bookOption(ctx, t, k)
			return err
		}
	}
	return t.finish(ctx)
}

// continueWithout goes on without the guests who did not answer: the
// options the others agree on are booked; with nobody left, the first
// option anyone accepted, else the first.
func (s *Service) continueWithout(ctx context.Context, t *turn) (string, error) {
	d := t.d
	var dropped []string
	for i := range d.Guests {
		if d.Guests[i].Status == guestWaiting {
			d.Guests[i].Status = guestDropped
			dropped = append(dropped, d.Guests[i].Email)
		}
	}
	d.Question = ""
	t.say("the organizer goes on without %s", strings.Join(dropped, ", "))
	k := d.agreed()
	if k < 0 {
		active := false
		for _, g := range d.Guests {
			active = active || g.active()
		}
		if active {
			return choiceAccepted, t.finish(ctx)
		}
		k = 0
	}
	if len(d.Options) == 0 {
		return "", t.finish(ctx)
	}
	return s.bookOption(ctx, t, k)
}

// acceptCounter moves the meeting where a guest proposed (iTIP COUNTER).
func (s *Service) acceptCounter(ctx context.Context, t *turn) error {
	c := t.d.Counter
	if c == nil {
		return t.finish(ctx)
	}
	return s.move(ctx, t, c.Start, int(c.End.Sub(c.Start)/time.Minute))
}

// reschedule moves a booked meeting: to the time asked, or, for a window,
// to the best free slot (colleagues only) or to the time the guests pick
// among new options.
func (s *Service) reschedule(ctx context.Context, t *turn, r understand.Request, loc *time.Location) error {
	if !r.Start.IsZero() && r.RRule == "" {
		return s.move(ctx, t, r.Start, 0)
	}
	from, to := t.windowAsked(r, loc)
	active := false
	for _, g := range t.d.Guests {
		active = active || g.active() || g.Status == guestDeclined
	}
	if len(t.d.Guests) > 0 && active {
		_, err := s.newOptions(ctx, t, from, to, "moving", false)
		return err
	}
	p, err := s.planned(ctx, t.acct.ID, t.id, t.th.ID, func() (*planJSON, error) {
		slots, err := s.findOptions(ctx, t, from, to)
		if err != nil || len(slots) == 0 {
			return &planJSON{Action: "none"}, err
		}
		// findOptions spreads; the earliest is the best for colleagues.
		best := slots[0]
		for _, sl := range slots {
			if sl.Start.Before(best.Start) {
				best = sl
			}
		}
		return &planJSON{Action: "move", Start: best.Start}, nil
	})
	if err != nil {
		return err
	}
	if p.Action == "none" {
		return s.askNoTime(ctx, t, from, to)
	}
	return s.move(ctx, t, p.Start, 0)
}

// changeDuration makes the meeting shorter or longer: the length asked,
// else by a quarter of an hour.
func (s *Service) changeDuration(ctx context.Context, t *turn, res understand.Result) error {
	m, err := s.Store.Meeting(ctx, t.acct.ID, t.th.MeetingID)
	if err != nil {
		return err
	}
	p, err := s.planned(ctx, t.acct.ID, t.id, t.th.ID, func() (*planJSON, error) {
		n := res.Request.Duration
		if n == 0 || n == m.Duration {
			switch res.Intent {
			case understand.IntentShorten:
				n = max(m.Duration-15, m.Duration/2, 5)
			default:
				n = m.Duration + 15
			}
		}
		return &planJSON{Action: "duration", Duration: min(n, booking.MaxDuration)}, nil
	})
	if err != nil {
		return err
	}
	if t.th.State != stateBooked || t.d.Moving {
		t.d.Duration = p.Duration
		loc, _ := time.LoadLocation(t.d.TimeZone)
		if loc == nil {
			loc = time.UTC
		}
		from, to := t.searchWindow(loc)
		_, err := s.newOptions(ctx, t, from, to, "", false)
		return err
	}
	c := booking.Change{Duration: &p.Duration}
	v, err := s.Booking.Reschedule(ctx, principalOf(t.org), t.th.MeetingID, c)
	if err != nil {
		fe, ok := failure.As(err)
		if !ok {
			return err
		}
		t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
		t.say("length not changed: %s", fe.Detail)
		return t.finish(ctx)
	}
	t.d.Duration = v.Duration
	t.toOrganizer("changed", func(l *letterData) {
		l.Reason, l.Duration = "duration", invite.FormatDuration(time.Duration(v.Duration)*time.Minute, t.d.Language)
		l.When = whenOf(v, t.d.Language, t.d.TimeZone)
	})
	t.say("the meeting now lasts %d minutes", v.Duration)
	return t.finish(ctx)
}

// changeProvider switches the video provider.
func (s *Service) changeProvider(ctx context.Context, t *turn, provider string) error {
	if !s.offered(provider) {
		t.toOrganizer("failed", func(l *letterData) {
			l.Reason = note(t.d.Language, "note.provider", letterData{Provider: s.providerLabel(provider)})
		})
		t.say("provider %q is not available", provider)
		return t.finish(ctx)
	}
	if _, err := s.Booking.ChangeProvider(ctx, principalOf(t.org), t.th.MeetingID, provider); err != nil {
		fe, ok := failure.As(err)
		if !ok {
			return err
		}
		t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
		t.say("provider not changed: %s", fe.Detail)
		return t.finish(ctx)
	}
	t.d.Provider = provider
	t.toOrganizer("changed", func(l *letterData) { l.Reason, l.Provider = "provider", s.providerLabel(provider) })
	t.say("the video provider is now %s", provider)
	return t.finish(ctx)
}
