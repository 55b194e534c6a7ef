package assistant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
)

// turn is one step on a thread (a message, a link used, a reminder due):
// what it read, and what it will commit in one transaction: the thread's
// new state, the mail it sends, the jobs it starts and the record that it
// ran.
type turn struct {
	s     *Service
	id    string // the step: the inbox id, "link:…", "remind:…"
	acct  *store.Account
	from  string // the assistant's address
	brand branding
	org   *store.User
	th    *store.Thread
	d     *threadData
	isNew bool
	in    *incoming // the message; nil for links and reminders
	now   time.Time

	letters []*letter
	keys    []string
	jobs    []jobs.Args
	outcome string
	detail  string
	done    bool
}

// errBusy: another worker holds the thread; try again shortly.
var errBusy = errors.New("assistant: the thread is busy")

// newTurn prepares a turn on thread th (nil for a new request) for the
// organizer org.
func (s *Service) newTurn(ctx context.Context, id string, acct *store.Account, org *store.User, th *store.Thread, in *incoming) (*turn, error) {
	from, err := s.assistantAddress(ctx, acct.ID)
	if err != nil {
		return nil, err
	}
	return s.newTurnFrom(ctx, from, id, acct, org, th, in)
}

// newTurnFrom is newTurn with the assistant's address read already (from
// assistantAddressOf): a turn started inside a transaction reads nothing
// outside it.
func (s *Service) newTurnFrom(ctx context.Context, from, id string, acct *store.Account, org *store.User, th *store.Thread, in *incoming) (*turn, error) {
	var err error
	t := &turn{s: s, id: id, acct: acct, from: from, brand: brandingOf(acct), org: org, th: th, in: in, now: s.now(),
		outcome: outcomeProcessed}
	if th != nil {
		if t.d, err = decodeData(th); err != nil {
			return nil, err
		}
		if err := s.settle(ctx, t, false); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// settle brings the turn's thread in line with its meeting when the
// meeting changed outside the conversation (chosen or cancelled through
// the API or the organizer's pages): a proposal booked meanwhile is
// booked, with no more options, reminders or questions; with cancelled,
// a cancelled meeting cancels the thread too. Only the reminder sweep
// settles cancellations: a step retried after the assistant's own cancel
// committed must still find its thread as it left it.
func (s *Service) settle(ctx context.Context, t *turn, cancelled bool) error {
	if t.th.MeetingID == "" {
		return nil
	}
	m, err := s.Store.Meeting(ctx, t.th.AccountID, t.th.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch settledState(t.th.State, t.d, m) {
	case stateBooked:
		t.th.State = stateBooked
		t.d.Options, t.d.Question, t.d.Moving = nil, "", false
		t.say("the meeting was booked outside the conversation (the API or the pages)")
	case stateCancelled:
		if cancelled {
			t.th.State = stateCancelled
			t.d.Question, t.d.Moving = "", false
			t.say("the meeting was cancelled outside the conversation (the API or the pages)")
		}
	}
	return nil
}

// lease takes the thread for owner and reloads it; errBusy when another
// worker holds it.
func (s *Service) lease(ctx context.Context, accountID, threadID, owner string) (*store.Thread, error) {
	now := s.now()
	ok, err := s.Store.LeaseThread(ctx, accountID, threadID, owner, now, now.Add(leaseFor))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBusy
	}
	th, err := s.Store.Thread(ctx, accountID, threadID)
	if err != nil {
		s.Store.ReleaseThread(context.WithoutCancel(ctx), accountID, threadID, owner)
		return nil, err
	}
	return th, nil
}

// release gives the thread back when the turn ends without a commit.
func (t *turn) release(ctx context.Context) {
	if !t.done && t.th != nil && !t.isNew {
		if err := t.s.Store.ReleaseThread(context.WithoutCancel(ctx), t.acct.ID, t.th.ID, t.id); err != nil {
			t.s.log().Warn("thread not released", "thread", t.th.ID, "err", err)
		}
	}
}

// say records why the turn did what it did, for the admins.
func (t *turn) say(format string, args ...any) {
	d := fmt.Sprintf(format, args...)
	if t.detail == "" {
		t.detail = d
	} else {
		t.detail += "; " + d
	}
}

// base is the data every letter of the thread starts from.
func (t *turn) base(lang string) letterData {
	d := letterData{Account: t.brand.Name, Organizer: t.org.Name, Subject: t.d.Subject}
	if d.Organizer == "" {
		d.Organizer = t.org.Email
	}
	if t.d.Duration > 0 {
		d.Duration = invite.FormatDuration(time.Duration(t.d.Duration)*time.Minute, lang)
	}
	return d
}

// toOrganizer queues a letter to the organizer, in reply to their last
// message in the thread.
func (t *turn) toOrganizer(kind string, fill func(*letterData)) *letter {
	lang := t.d.Language
	data := t.base(lang)
	if fill != nil {
		fill(&data)
	}
	l := &letter{Kind: kind, Lang: lang, To: person{Email: t.org.Email, Name: t.org.Name}, FromName: t.brand.Name, Data: data,
		Topic: t.d.Subject, InReplyTo: t.d.OrganizerLast, References: t.d.Refs, guest: -1,
		Key: fmt.Sprintf("assistant/%s/%s/%s/%s", t.acct.ID, t.id, kind, t.org.Email)}
	if l.InReplyTo == "" && len(t.d.Refs) > 0 {
		l.InReplyTo = t.d.Refs[len(t.d.Refs)-1]
	}
	t.letters = append(t.letters, l)
	return l
}

// toGuest queues a letter to guest gi; with options, the current options
// with their links.
func (t *turn) toGuest(gi int, kind string, options bool, fill func(*letterData)) *letter {
	g := t.d.Guests[gi]
	data := t.base(g.Language)
	// Letters to a guest greet them by their first name.
	data.Guest = g.label()
	if first, _, _ := strings.Cut(strings.TrimSpace(g.Name), " "); first != "" {
		data.Guest = first
	}
	if fill != nil {
		fill(&data)
	}
	from := t.org.Name
	if from == "" {
		from = t.org.Email
	}
	l := &letter{Kind: kind, Lang: g.Language, To: person{Email: g.Email, Name: g.Name}, FromName: from + " via " + t.brand.Name,
		Data: data, Topic: t.d.Subject, InReplyTo: g.Last, References: t.d.Refs, guest: gi, options: options,
		Key: fmt.Sprintf("assistant/%s/%s/%s/%s", t.acct.ID, t.id, kind, g.Email)}
	if l.InReplyTo == "" && len(t.d.Refs) > 0 {
		l.InReplyTo = t.d.Refs[len(t.d.Refs)-1]
	}
	t.letters = append(t.letters, l)
	return l
}

// organizerOptions lists the current options for the organizer (no
// links: they answer with a number).
func (t *turn) organizerOptions() []optionLine {
	out := make([]optionLine, len(t.d.Options))
	for k, o := range t.d.Options {
		out[k] = optionLine{N: k + 1, When: invite.FormatRange(o.Start, o.End, t.d.TimeZone, t.d.Language)}
	}
	return out
}

// guestOptions lists the current options for guest gi, in their zone and
// language, each with its choice link, and returns the guest's link to all
// of them.
func (t *turn) guestOptions(gi int) ([]optionLine, string, error) {
	g := t.d.Guests[gi]
	out := make([]optionLine, len(t.d.Options))
	life := t.s.LinkLifetime
	if life <= 0 {
		life = defaultLinkLifetime
	}
	link := func(option int, exp time.Time) (string, error) {
		tok, err := signLink(t.s.LinkKey, linkClaims{Expires: exp, Round: t.d.Round, Option: option, AccountID: t.acct.ID,
			ThreadID: t.th.ID, MeetingID: t.th.MeetingID, Guest: strings.ToLower(g.Email)}, t.s.Rand)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(t.s.BaseURL, "/") + "/choose/" + tok, nil
	}
	var last time.Time
	for k, o := range t.d.Options {
		exp := t.now.Add(life)
		if o.Start.Before(exp) {
			exp = o.Start
		}
		if exp.After(last) {
			last = exp
		}
		u, err := link(k, exp)
		if err != nil {
			return nil, "", err
		}
		out[k] = optionLine{N: k + 1, When: invite.FormatRange(o.Start, o.End, g.TimeZone, g.Language), URL: u}
	}
	if len(out) == 0 {
		return out, "", nil
	}
	// The link to every option lasts as long as the last of them.
	all, err := link(linkAll, last)
	if err != nil {
		return nil, "", err
	}
	return out, all, nil
}

// commit writes everything the turn decided in tx: the mail, the
// thread, its keys, the jobs and the step's record. m is the meeting the
// same transaction recorded, if any (CreateWith, ChooseWith, Repropose).
func (t *turn) commit(ctx context.Context, tx *store.DB, m *store.Meeting) error {
	if m != nil {
		t.th.MeetingID = m.ID
	}
	for _, l := range t.letters {
		if l.options {
			opts, all, err := t.guestOptions(l.guest)
			if err != nil {
				return err
			}
			l.Options, l.AllURL = opts, all
		}
		mail, err := compose(l, t.from, t.brand, t.now)
		if err != nil {
			return err
		}
		mail.AccountID, mail.MeetingID = t.acct.ID, t.th.MeetingID
		if _, err := t.s.Booking.QueueMail(ctx, tx, mail); err != nil {
			return err
		}
		t.keys = append(t.keys, strings.Trim(mail.MessageID, "<>"), personKey(l.To.Email))
	}
	t.d.encode(t.th)
	t.th.Due = t.d.nextDue(t.th.State, t.s.reminder())
	t.th.Updated = t.now
	if t.isNew {
		t.th.Created = t.now
		if err := tx.CreateThread(ctx, t.th); err != nil {
			return err
		}
	} else if err := tx.UpdateThread(ctx, t.th); err != nil {
		return err
	}
	if t.in != nil {
		t.keys = append(t.keys, t.in.keys...)
		t.keys = append(t.keys, personKey(t.in.sender.Address))
	}
	if err := tx.AddThreadKeys(ctx, t.acct.ID, t.th.ID, t.keys); err != nil {
		return err
	}
	for _, a := range t.jobs {
		if err := t.s.Jobs.Enqueue(ctx, tx, a, nil); err != nil {
			return err
		}
	}
	if t.detail == "" {
		t.detail = "done"
	}
	err := tx.PutStep(ctx, &store.Step{AccountID: t.acct.ID, ID: t.id, ThreadID: t.th.ID, Status: store.StepDone, Outcome: t.outcome,
		Detail: clip(t.detail, 2000), Created: t.now, Done: t.now})
	if err != nil {
		return err
	}
	t.done = true
	return nil
}

// finish commits the turn in a transaction of its own.
func (t *turn) finish(ctx context.Context) error {
	err := t.s.Store.InTx(ctx, func(tx *store.DB) error { return t.commit(ctx, tx, nil) })
	if err != nil {
		t.done = false
		return err
	}
	t.logDone()
	return nil
}

func (t *turn) logDone() {
	thread := ""
	if t.th != nil {
		thread = t.th.ID
	}
	t.s.log().Info("assistant step", "account", t.acct.ID, "step", t.id, "thread", thread, "state", t.th.State,
		"mails", len(t.letters), "outcome", t.outcome, "detail", t.detail)
}

// result is what Process returns once the turn is committed.
func (t *turn) result() error {
	if t.outcome == outcomeNotProcessed {
		return fmt.Errorf("%w: %s", inbox.ErrNotProcessed, t.detail)
	}
	return nil
}
