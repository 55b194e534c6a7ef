package assistant

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/assistant/understand"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/mail/message"
	"github.com/convene/convene/internal/store"
)

// newRequest starts a thread from an organizer's message that is in no
// thread: a new meeting request, built from what the text says, the
// message's attendees and the organizer's defaults.
func (s *Service) newRequest(ctx context.Context, in *incoming) error {
	acct, err := s.Store.Account(ctx, in.msg.AccountID)
	if err != nil {
		return err
	}
	org, err := s.Store.User(ctx, acct.ID, in.sender.UserID)
	if err != nil {
		return err
	}
	t, err := s.newTurn(ctx, in.msg.ID, acct, org, nil, in)
	if err != nil {
		return err
	}
	t.isNew = true
	t.th = &store.Thread{ID: s.newID("thr_"), AccountID: acct.ID, OrganizerID: org.ID, State: stateAsking}
	zone := userZone(org)
	t.d = &threadData{TimeZone: zone.String(), Language: organizerLanguage(org, acct, string(in.m.Language)), Topic: in.m.Keys.Subject}
	for _, id := range in.m.Keys.References {
		t.d.addRef(id)
	}
	t.d.addRef(in.m.Keys.MessageID)
	t.d.OrganizerLast = in.m.Keys.MessageID

	res := s.understand(in, zone, nil)
	switch res.Intent {
	case understand.IntentCancel, understand.IntentReschedule, understand.IntentShorten, understand.IntentLengthen,
		understand.IntentProvider, understand.IntentPick, understand.IntentNoneWork, understand.IntentDecline, understand.IntentAccept:
		// A change or an answer with no thread to apply it to.
		t.d.Subject = subjectOf(res.Request.Subject, in.m.Topic, t.d.Language)
		t.th.State = stateCancelled
		t.toOrganizer("not_found", nil)
		t.outcome = outcomeNotProcessed
		t.say("a %s outside any thread: the organizer was told to answer in the meeting's thread", res.Intent)
		if err := t.finish(ctx); err != nil {
			return err
		}
		return t.result()
	}
	t.merge(ctx, res, in, true)
	if len(t.d.Attendees) == 0 && len(t.d.Ambiguous) == 0 && res.Intent != understand.IntentNew && !res.Request.HasTime() {
		// Mail to the assistant alone that asks nothing: no thread.
		return s.finishStep(ctx, acct.ID, in.msg.ID, "", outcomeNotProcessed, "no meeting asked for (no attendee, no time, no request)")
	}
	if err := s.tryBook(ctx, t); err != nil {
		return err
	}
	return t.result()
}

// understand reads a message's new text (and the message it forwards)
// against the thread's options, in zone.
func (s *Service) understand(in *incoming, zone *time.Location, options []slot) understand.Result {
	uctx := understand.Context{Now: in.at, Zone: zone, Language: in.m.Language, Sender: in.m.From.Email}
	for _, o := range options {
		uctx.Options = append(uctx.Options, o.Start)
	}
	fwd := ""
	if in.m.Forward != nil {
		fwd = in.m.Forward.NewText
	}
	return understand.ParseForward(in.m.Subject, in.m.From.Email, in.m.NewText, fwd, uctx)
}

// merge adds what the organizer's message says to the request: the
// subject (first time only), the times, the length, the zone, the
// provider, and the attendees (To and Cc, addresses and colleagues'
// names in the text).
func (t *turn) merge(ctx context.Context, res understand.Result, in *incoming, first bool) {
	r := res.Request
	d := t.d
	if first {
		d.Subject = subjectOf(r.Subject, in.m.Topic, d.Language)
		d.Duration = r.Duration
		if d.Duration == 0 {
			d.Duration = t.org.DefaultDuration
		}
		if d.Duration == 0 {
			d.Duration = 30
		}
	} else if r.Duration > 0 {
		d.Duration = r.Duration
	}
	// A zone named in the text wins over the organizer's (UNDERSTANDING
	// R1): understand then expresses the times in it.
	if r.Zone != nil && r.Zone.String() != d.TimeZone {
		d.TimeZone = r.Zone.String()
	}
	if r.HasTime() {
		d.Start, d.Window = r.Start, nil
		if r.Window != nil {
			d.Start, d.Window = time.Time{}, &window{From: r.Window.From, To: r.Window.To}
		}
		if r.RRule != "" || first {
			d.RRule = r.RRule
		}
	}
	if p := r.VideoProvider; p != "" {
		if t.s.offered(p) {
			d.Provider, d.AskedProvider = p, ""
		} else {
			d.AskedProvider = p // not in the catalog: not installable here
		}
	}
	// Attendees: To and Cc (and a forwarded message's people), less the
	// assistant and the organizer, then colleagues named in the text.
	assistants := []string{t.from}
	if in.msg.Recipient != "" {
		assistants = append(assistants, in.msg.Recipient)
	}
	dir := t.s.directory(ctx, t.acct.ID)
	att := in.m.Attendees(assistants, dir)
	var found []person
	for _, a := range att.List {
		found = append(found, person{Email: strings.ToLower(a.Email), Name: a.Name})
	}
	for _, a := range r.Attendees {
		found = append(found, person{Email: strings.ToLower(a)})
	}
	for _, p := range found {
		if message.AddressKey(p.Email) == message.AddressKey(t.org.Email) || slices.ContainsFunc(assistants, func(a string) bool {
			return message.AddressKey(a) == message.AddressKey(p.Email)
		}) {
			continue
		}
		if _, ok := d.attendee(p.Email); ok {
			continue
		}
		if len(d.Attendees) >= booking.MaxAttendees {
			break
		}
		d.Attendees = append(d.Attendees, p)
	}
	d.Ambiguous = nil
	for _, a := range att.Ambiguous {
		var names []string
		for _, c := range a.Candidates {
			names = append(names, c.Name+" <"+c.Email+">")
		}
		d.Ambiguous = append(d.Ambiguous, a.Name+" ("+strings.Join(names, ", ")+")")
	}
	for _, u := range att.Unknown {
		if !slices.Contains(d.Unknown, u) {
			d.Unknown = append(d.Unknown, u)
		}
	}
	// Who is a colleague (a user: Convene reads their calendar) and who a
	// guest (options by mail).
	for i := range d.Attendees {
		a := &d.Attendees[i]
		u, err := t.s.Store.UserByEmail(ctx, t.acct.ID, a.Email)
		if err == nil {
			a.Internal = true
			if a.Name == "" {
				a.Name = u.Name
			}
			continue
		}
		if d.guestIndex(a.Email) >= 0 {
			continue
		}
		d.Guests = append(d.Guests, guest{Email: a.Email, Name: a.Name, Language: guestLanguage(in, a.Email),
			TimeZone: guestZone(in, a.Email, d.TimeZone), Status: guestWaiting})
	}
}

// subjectOf is the meeting's subject: the request's, else the mail's
// topic, else a plain word.
func subjectOf(asked, topic, lang string) string {
	for _, s := range []string{asked, topic} {
		if s = strings.TrimSpace(s); s != "" {
			return clip(s, booking.MaxSubject)
		}
	}
	if lang == "fr" {
		return "Réunion"
	}
	return "Meeting"
}

// directory is the account's users, for names written in mail.
func (s *Service) directory(ctx context.Context, accountID string) message.Directory {
	users, err := s.Store.Users(ctx, accountID)
	if err != nil {
		return nil
	}
	var ps message.People
	for _, u := range users {
		if u.Active() {
			ps = append(ps, message.Person{Name: u.Name, Email: u.Email})
		}
	}
	return ps
}

// organizerLanguage is the language of mail to the organizer: their
// setting, else the language they wrote in, else the account's.
func organizerLanguage(u *store.User, acct *store.Account, wrote string) string {
	for _, l := range []string{u.Language, wrote, acct.Language} {
		switch l {
		case "en", "fr":
			return l
		}
	}
	return "en"
}

// guestLanguage is a guest's language: of what they wrote when the
// message forwards their mail, else of the message the organizer wrote to
// them.
func guestLanguage(in *incoming, email string) string {
	if f := in.m.Forward; f != nil && strings.EqualFold(f.From.Email, email) && f.Language != "" {
		return string(f.Language)
	}
	if in.m.Language == understand.French {
		return "fr"
	}
	return "en"
}

// userZone is a user's zone, UTC when unset or unknown.
func userZone(u *store.User) *time.Location {
	if loc, err := time.LoadLocation(u.TimeZone); err == nil && u.TimeZone != "" && u.TimeZone != "Local" {
		return loc
	}
	return time.UTC
}

// snapshot saves what a turn may change inside a transaction that can
// roll back, to restore it then.
func (t *turn) snapshot() func() {
	data, _ := json.Marshal(t.d)
	th := *t.th
	nl, nk, nj, detail := len(t.letters), len(t.keys), len(t.jobs), t.detail
	return func() {
		d := &threadData{}
		json.Unmarshal(data, d)
		t.d, t.letters, t.keys, t.jobs, t.detail = d, t.letters[:nl], t.keys[:nk], t.jobs[:nj], detail
		*t.th = th
		t.done = false
	}
}

// tryBook books the request as it stands, or asks the organizer for what
// cannot be defaulted. With only colleagues it books the best slot; with
// guests it proposes options to each of them.
func (s *Service) tryBook(ctx context.Context, t *turn) error {
	d := t.d
	d.Question = ""
	if len(d.Ambiguous) > 0 {
		t.th.State, d.Question = stateAsking, askAmbiguous
		t.toOrganizer("ask_ambiguous", func(l *letterData) { l.Candidates = strings.Join(d.Ambiguous, "; ") })
		t.say("asked the organizer which colleague %s means", strings.Join(d.Ambiguous, ", "))
		return t.finish(ctx)
	}
	if len(d.Attendees) == 0 {
		t.th.State, d.Question = stateAsking, askAttendees
		t.toOrganizer("ask_attendees", func(l *letterData) { l.Reason = t.unknownNote() })
		t.say("asked the organizer who to invite (no attendee in To, Cc or the text)")
		return t.finish(ctx)
	}
	loc, err := time.LoadLocation(d.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	req := booking.Request{Subject: d.Subject, TimeZone: d.TimeZone, Duration: d.Duration, VideoProvider: d.Provider}
	for _, a := range d.Attendees {
		req.Attendees = append(req.Attendees, booking.AttendeeInput{Email: a.Email, Name: a.Name})
	}
	var from, to time.Time
	if d.RRule != "" && !d.Start.IsZero() {
		// A series starts when the organizer said; its occurrences follow
		// the rule (a slot search for every occurrence is not done).
		req.StartTime, req.Recurrence = d.Start.Format(time.RFC3339), &booking.RecurrenceInput{RRule: d.RRule}
	} else {
		from, to = t.searchWindow(loc)
		req.Window = &booking.Window{From: from.Format(time.RFC3339), To: to.Format(time.RFC3339)}
	}
	restore := t.snapshot()
	_, err = s.Booking.CreateWith(ctx, principalOf(t.org), req, func(ctx context.Context, tx *store.DB, m *store.Meeting) error {
		t.th.MeetingID = m.ID
		if m.Status == store.MeetingProposed {
			if err := t.proposed(m, false); err != nil {
				return err
			}
		} else {
			t.booked(m)
		}
		return t.commit(ctx, tx, m)
	})
	if err == nil {
		t.logDone()
		return nil
	}
	restore()
	fe, ok := failure.As(err)
	if !ok {
		return fmt.Errorf("assistant: book %s: %w", t.th.ID, err)
	}
	t.th.State = stateAsking
	if fe.Kind == failure.Conflict && !from.IsZero() {
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
		t.say("no time free in the window: asked the organizer for another (%s)", fe.Detail)
	} else {
		d.Question = askNoTime
		t.toOrganizer("failed", func(l *letterData) { l.Reason = fe.Detail })
		t.say("not booked: %s", fe.Detail)
	}
	return t.finish(ctx)
}

// proposed records a proposal (new or renewed) and queues its mail: the
// options to every guest still in the negotiation, and, unless quiet, the
// list to the organizer.
func (t *turn) proposed(m *store.Meeting, quiet bool) error {
	opts, err := booking.OptionsOf(m)
	if err != nil {
		return err
	}
	d := t.d
	slots := make([]slot, len(opts))
	for i, o := range opts {
		slots[i] = slot{Start: o.Start, End: o.End}
	}
	t.th.State = stateProposed
	d.Duration = m.Duration
	d.newRound(slots, t.now)
	var names []string
	for gi, g := range d.Guests {
		if g.active() {
			kind := "options"
			if d.Round > 1 {
				kind = "new_options"
			}
			t.toGuest(gi, kind, true, nil)
			names = append(names, g.label())
		}
	}
	if !quiet {
		l := t.toOrganizer("proposed", func(l *letterData) {
			l.Names, l.Count = invite.ListJoin(names, d.Language), len(names)
			l.Reason = strings.TrimSpace(t.unknownNote() + " " + t.providerNote())
		})
		l.Options = t.organizerOptions()
	}
	t.say("proposed %d options to %s (round %d)", len(slots), strings.Join(names, ", "), d.Round)
	return nil
}

// booked records that the meeting is booked; the confirmation waits for
// its video meeting (workConfirm).
func (t *turn) booked(m *store.Meeting) {
	t.th.State = stateBooked
	t.d.Booked, t.d.Question, t.d.Moving, t.d.Options = t.now, "", false, nil
	t.jobs = append(t.jobs, confirm{AccountID: t.acct.ID, ThreadID: t.th.ID, MeetingID: m.ID, Step: t.id})
	t.say("booked %s at %s", m.ID, m.Start.Format(time.RFC3339))
}

// unknownNote tells the organizer which names matched no colleague.
func (t *turn) unknownNote() string {
	if len(t.d.Unknown) == 0 {
		return ""
	}
	return note(t.d.Language, "note.unknown", letterData{Names: invite.ListJoin(t.d.Unknown, t.d.Language), Count: len(t.d.Unknown)})
}

// providerNote tells the organizer that the provider asked for is not
// available.
func (t *turn) providerNote() string {
	if t.d.AskedProvider == "" {
		return ""
	}
	return note(t.d.Language, "note.provider", letterData{Provider: t.s.providerLabel(t.d.AskedProvider)})
}

// offered reports whether a meeting may have the video provider p here:
// an app of the catalog, or "none".
func (s *Service) offered(p string) bool {
	_, ok := s.Booking.VideoApps().Lookup(p)
	return ok || p == "none"
}

// providerLabel names a provider for people: an app of the catalog by its
// name, and the others people may ask for (understand's words) by theirs.
func (s *Service) providerLabel(p string) string {
	if a, ok := s.Booking.VideoApps().Lookup(p); ok {
		return a.Name
	}
	switch p {
	case "teams":
		return "Microsoft Teams"
	case "google_meet":
		return "Google Meet"
	case "webex":
		return "Webex"
	}
	return p
}

// searchWindow is where to look for a time: from the time asked (then the
// next working days), the window asked, or the next working days.
func (t *turn) searchWindow(loc *time.Location) (time.Time, time.Time) {
	d, now := t.d, t.now
	switch {
	case !d.Start.IsZero() && d.Start.After(now):
		return d.Start, addWorkingDays(d.Start, workingDays, loc)
	case d.Window != nil && d.Window.To.After(now.Add(time.Hour)):
		from := d.Window.From
		if from.Before(now) {
			from = now
		}
		return from, d.Window.To
	}
	return now, addWorkingDays(now, workingDays, loc)
}

// addWorkingDays returns local midnight after the n-th working day
// (Monday to Friday) after t's day.
func addWorkingDays(t time.Time, n int, loc *time.Location) time.Time {
	l := t.In(loc)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day.AddDate(0, 0, 1)
}

// windowText writes a window for people: "between Monday, March 2, 2026,
// 9:00 AM and …".
func windowText(from, to time.Time, tz, lang string) string {
	r := invite.FormatRange(from, to, tz, lang)
	if lang == "fr" {
		return "sur la période " + r
	}
	return "in " + r
}
