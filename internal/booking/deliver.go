package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/video"
)

// Methods of a delivery (RFC 5546 §1.4).
const (
	deliverRequest = "request"
	deliverCancel  = "cancel"
)

// deliver renders a meeting change for its recipients, stores each mail in
// the outbox (once per recipient and sequence, ever) and queues it for the
// relay.
type deliver struct {
	AccountID string `json:"account_id"`
	MeetingID string `json:"meeting_id"`
	Sequence  int    `json:"sequence"`
	Method    string `json:"method"`
	// Only, when set, limits the delivery to these addresses (removed
	// attendees get a CANCEL of their own).
	Only []string `json:"only,omitempty"`
	// OccurrenceID narrows the message to one occurrence.
	OccurrenceID string `json:"occurrence_id,omitempty"`
}

// Kind implements jobs.Args.
func (deliver) Kind() string { return "meeting.deliver" }

// sendMail hands one stored mail to the relay.
type sendMail struct {
	AccountID string `json:"account_id"`
	MailID    string `json:"mail_id"`
}

// Kind implements jobs.Args.
func (sendMail) Kind() string { return "mail.send" }

// Letter is one mail to write: a meeting change for one recipient.
type Letter struct {
	Method    invite.Method // REQUEST or CANCEL; "" for a notice without calendar
	Update    bool          // an update of a meeting already sent
	Meeting   *invite.Meeting
	Recipient invite.Person
	// Language and TimeZone are the recipient's ("" for external
	// recipients: the account's language and the meeting's zone).
	Language, TimeZone string
	From               invite.Person // the assistant, on the organizer's behalf
	ReplyTo            string
	Account            *store.Account
	// Previous is the version the recipient was last sent, for a change.
	Previous *invite.Meeting
	// References are the Message-IDs of the earlier mails about the
	// meeting to this recipient, oldest first.
	References []string
	// Reason is why a meeting is cancelled.
	Reason string
	// Notice is the text of a notice to the organizer; Kind names it.
	Notice, NoticeKind string
}

// Composed is a written mail.
type Composed struct {
	Raw       []byte
	Subject   string
	MessageID string
	// Calendar is the iCalendar object the mail carries (nil: none).
	Calendar []byte
}

// Composer writes mail; the invite package does it.
type Composer interface {
	Compose(ctx context.Context, l Letter) (*Composed, error)
}

// EachComposer is a Composer that writes the invitations of one meeting
// change to several recipients at once: letters that differ only in
// Recipient, Language, TimeZone and References, in that order.
type EachComposer interface {
	Composer
	ComposeEach(ctx context.Context, ls []Letter) ([]*Composed, error)
}

func (s *Service) enqueueDeliver(ctx context.Context, tx *store.DB, m *store.Meeting, method string, only []string) error {
	return s.Jobs.Enqueue(ctx, tx, deliver{AccountID: m.AccountID, MeetingID: m.ID, Sequence: m.Sequence, Method: method, Only: only}, uniqueArgs)
}

// Notice kinds.
const (
	noticeFailed  = "failed"
	noticeChanged = "changed-in-provider"
)

// notice mails the organizer about their meeting (it failed, it changed in
// Zoom): plain text, no calendar.
type notice struct {
	AccountID string `json:"account_id"`
	MeetingID string `json:"meeting_id"`
	Sequence  int    `json:"sequence"`
	About     string `json:"kind"`
	Text      string `json:"text"`
}

// Kind implements jobs.Args.
func (notice) Kind() string { return "meeting.notice" }

func (s *Service) enqueueNotice(ctx context.Context, tx *store.DB, m *store.Meeting, kind, text string) error {
	return s.Jobs.Enqueue(ctx, tx, notice{AccountID: m.AccountID, MeetingID: m.ID, Sequence: m.Sequence, About: kind, Text: text}, uniqueArgs)
}

// letterBase loads what every mail about a meeting needs: the organizer,
// and a letter from the assistant on the organizer's behalf.
func (s *Service) letterBase(ctx context.Context, m *store.Meeting) (*store.User, Letter, error) {
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return nil, Letter{}, err
	}
	acct, err := s.Store.Account(ctx, m.AccountID)
	if err != nil {
		return nil, Letter{}, err
	}
	from, err := s.sender(ctx, m.AccountID)
	if err != nil {
		return nil, Letter{}, err
	}
	return organizer, Letter{From: invite.Person{Name: organizer.Name + " via " + acct.Name, Email: from}, ReplyTo: organizer.Email, Account: acct}, nil
}

func (s *Service) workNotice(ctx context.Context, job *jobs.Job[notice]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	organizer, l, err := s.letterBase(ctx, m)
	if err != nil {
		return err
	}
	if l.Meeting, err = s.inviteMeeting(ctx, m, organizer, ""); err != nil {
		return err
	}
	l.Recipient, l.Notice, l.NoticeKind = invite.Person{Name: organizer.Name, Email: organizer.Email}, a.Text, a.About
	l.Language, l.TimeZone = organizer.Language, organizer.TimeZone
	key := fmt.Sprintf("%s/%d/notice/%s/%x", m.ID, a.Sequence, a.About, hashString(a.Text))
	return s.storeMail(ctx, m, "notice", key, l)
}

// sender returns the account's assistant address (account.Service's
// AssistantAddress), the From of its mail.
func (s *Service) sender(ctx context.Context, accountID string) (string, error) {
	acct, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return "", err
	}
	return s.senderOf(ctx, acct)
}

// senderOf is sender of an account read already.
func (s *Service) senderOf(ctx context.Context, acct *store.Account) (string, error) {
	addr, err := s.Accounts.AssistantAddressOf(ctx, acct)
	if err != nil {
		return "", err
	}
	return senderAddress(addr), nil
}

// senderAddress is the From of an account's mail, given its assistant
// address.
func senderAddress(assistant string) string {
	if assistant == "" {
		// No verified domain: mail stays in the outbox with a sender no
		// one can answer.
		return "assistant@convene.invalid"
	}
	return assistant
}

func (s *Service) workDeliver(ctx context.Context, job *jobs.Job[deliver]) error {
	a := job.Args
	m, err := s.Store.Meeting(ctx, a.AccountID, a.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Sequence != a.Sequence {
		return nil // a later change sends its own
	}
	organizer, err := s.Store.User(ctx, m.AccountID, m.OrganizerID)
	if err != nil {
		return err
	}
	d, err := s.prepareDelivery(ctx, m, organizer, a, nil, nil)
	if err != nil {
		return err
	}
	// The mails first, on their own: a calendar that cannot be written
	// holds back no invitation.
	if err := s.Store.InTx(ctx, func(tx *store.DB) error {
		if err := s.addMails(ctx, tx, m, d.mails); err != nil {
			return err
		}
		return s.enqueueAppEvent(ctx, tx, d.app, a)
	}); err != nil {
		return err
	}
	if a.Method != deliverRequest {
		return s.writeCalendars(ctx, m, organizer, a, d.recipients)
	}
	if len(d.calendars) == 0 {
		return nil
	}
	return s.Store.InTx(ctx, func(tx *store.DB) error { return s.writeEvents(ctx, tx, d) })
}

// delivery is a meeting change written for its recipients, to be stored in
// one transaction: its mails in the outbox and, for a REQUEST, the event
// in the built-in calendars of the organizer and the attendees who are
// users.
type delivery struct {
	m          *store.Meeting // as written
	mails      []*store.Mail
	recipients []invite.Person
	calendars  []*calendar.Event // the event for the built-in calendars
	// fresh: the meeting's event was never written to any calendar (the
	// transaction applying the delivery is the one that books it), so
	// its writes need not look for an earlier one.
	fresh bool
	// app is the app whose calendar the organizer has ("" none), read
	// with the rest before the transaction that applies the delivery.
	app string
}

// known is what the request that booked a meeting already read, so that
// its delivery right after reads nothing again.
type known struct {
	organizer *store.User
	account   *store.Account
	// users are the attendees who are users of the account, by address.
	users map[string]*store.User
	// sender is the account's assistant address, once looked up.
	sender string
}

// prepareDelivery writes the mails of the delivery a of m for its
// recipients and, for a REQUEST, the event of the built-in calendars.
// With k (a meeting just booked by this request) it reads nothing: there
// are no earlier mails to refer to. vm, when set, is m's video meeting
// (else m.Video is decoded).
func (s *Service) prepareDelivery(ctx context.Context, m *store.Meeting, organizer *store.User, a deliver, k *known, vm *video.Meeting) (*delivery, error) {
	var acct *store.Account
	var from string
	var err error
	if k != nil {
		acct = k.account
		if k.sender == "" {
			if k.sender, err = s.senderOf(ctx, acct); err != nil {
				return nil, err
			}
		}
		from = k.sender
	} else {
		if acct, err = s.Store.Account(ctx, m.AccountID); err != nil {
			return nil, err
		}
		if from, err = s.senderOf(ctx, acct); err != nil {
			return nil, err
		}
	}
	base := Letter{From: invite.Person{Name: organizer.Name + " via " + acct.Name, Email: from}, ReplyTo: organizer.Email, Account: acct}
	im, err := s.inviteMeetingWith(ctx, m, organizer, a.OccurrenceID, vm)
	if err != nil {
		return nil, err
	}
	method := invite.MethodRequest
	if a.Method == deliverCancel {
		method = invite.MethodCancel
	}
	recipients := []invite.Person{{Name: organizer.Name, Email: organizer.Email}}
	for _, at := range m.Attendees {
		recipients = append(recipients, invite.Person{Name: at.Name, Email: at.Email})
	}
	if len(a.Only) > 0 {
		recipients = recipients[:0]
		for _, e := range a.Only {
			recipients = append(recipients, invite.Person{Email: e})
			for _, at := range m.Attendees {
				if at.Email == e {
					recipients[len(recipients)-1].Name = at.Name
				}
			}
		}
	}
	// The provider mails the invitees itself (the account's invitation
	// mode, for an organizer with an app calendar): Convene mails only
	// the organizer, so that nobody is invited twice.
	app, err := s.organizerApp(ctx, m)
	if err != nil {
		return nil, err
	}
	if providerInvites(acct, app) {
		kept := recipients[:0]
		for _, r := range recipients {
			if r.Email == organizer.Email {
				kept = append(kept, r)
			}
		}
		recipients = kept
	}
	var earlier []store.Mail
	if k == nil {
		if earlier, err = s.Store.MailHeaders(ctx, m.AccountID, m.ID, 0); err != nil {
			return nil, err
		}
	}
	var previous *invite.Meeting
	if len(m.Previous) > 0 && method == invite.MethodRequest {
		previous = previousMeeting(im, m.Previous)
	}
	// The recipients who are users, whose language and zone the mail
	// follows.
	userOf := func(email string) *store.User {
		if k != nil {
			if email == organizer.Email {
				return organizer
			}
			return k.users[email]
		}
		if u, err := s.Store.UserByEmail(ctx, m.AccountID, email); err == nil {
			return u
		}
		return nil
	}
	pending := make([]pendingMail, 0, len(recipients))
	for _, r := range recipients {
		l := base
		l.Method, l.Meeting, l.Recipient, l.Update, l.Previous, l.Reason = method, im, r, m.Sequence > 0, previous, m.Problem
		if u := userOf(r.Email); u != nil {
			l.Language, l.TimeZone = u.Language, u.TimeZone
		}
		for i := len(earlier) - 1; i >= 0; i-- {
			if e := earlier[i]; e.Kind != "notice" && len(e.Recipients) == 1 && e.Recipients[0] == r.Email {
				l.References = append(l.References, e.MessageID)
			}
		}
		key := fmt.Sprintf("%s/%d/%s/%s/%s", m.ID, m.Sequence, a.Method, a.OccurrenceID, r.Email)
		pending = append(pending, pendingMail{kind: string(method), key: key, letter: l})
	}
	mails, composed, err := s.composeMails(ctx, m, pending)
	if err != nil {
		return nil, err
	}
	d := &delivery{m: m, mails: mails, recipients: recipients, app: app}
	if a.Method != deliverRequest || s.Calendars == nil {
		return d, nil
	}
	// The built-in calendars get the whole meeting (a series with all its
	// occurrences): the mails' own object when they carry it.
	var ics []byte
	if a.OccurrenceID == "" && len(composed) > 0 && composed[0].Calendar != nil {
		ics = composed[0].Calendar
	} else {
		full, err := s.inviteMeetingWith(ctx, m, organizer, "", vm)
		if err != nil {
			return nil, err
		}
		if ics, err = invite.Calendar(invite.MethodRequest, full, s.Now()); err != nil {
			return nil, err
		}
	}
	users := []*store.User{organizer}
	seen := map[string]bool{organizer.ID: true}
	for _, at := range m.Attendees {
		if at.UserID == "" || seen[at.UserID] {
			continue
		}
		seen[at.UserID] = true
		var u *store.User
		if k != nil {
			u = k.users[at.Email]
		}
		if u == nil || u.ID != at.UserID {
			if u, err = s.Store.User(ctx, m.AccountID, at.UserID); err != nil {
				return nil, fmt.Errorf("booking: calendar of %s: %w", at.UserID, err)
			}
		}
		users = append(users, u)
	}
	for _, u := range users {
		ev, err := calendar.PrepareEvent(u, ics)
		if err != nil {
			return nil, fmt.Errorf("booking: calendar of %s: %w", u.ID, err)
		}
		d.calendars = append(d.calendars, ev)
	}
	return d, nil
}

// applyDelivery stores a delivery in tx: the mails whose key was never
// stored, with their jobs for the relay, and the built-in calendar events.
func (s *Service) applyDelivery(ctx context.Context, tx *store.DB, d *delivery) error {
	if err := s.addMails(ctx, tx, d.m, d.mails); err != nil {
		return err
	}
	if err := s.enqueueAppEvent(ctx, tx, d.app, deliver{AccountID: d.m.AccountID, MeetingID: d.m.ID, Sequence: d.m.Sequence, Method: deliverRequest}); err != nil {
		return err
	}
	return s.writeEvents(ctx, tx, d)
}

// writeEvents writes a delivery's event into the built-in calendars, in
// tx. Writes are idempotent: a retried job writes the same event again.
func (s *Service) writeEvents(ctx context.Context, tx *store.DB, d *delivery) error {
	for _, ev := range d.calendars {
		write := s.Calendars.WriteEventIn
		if d.fresh {
			write = s.Calendars.WriteNewEventIn
		}
		if _, err := write(ctx, tx, ev); err != nil {
			return fmt.Errorf("booking: calendar: %w", err)
		}
	}
	return nil
}

// writeCalendars takes the meeting out of the built-in calendars of the
// organizer and of the attendees who are users (a cancellation: the whole
// meeting, one occurrence, or the attendees removed from it).
func (s *Service) writeCalendars(ctx context.Context, m *store.Meeting, organizer *store.User, a deliver, recipients []invite.Person) error {
	if s.Calendars == nil {
		return nil
	}
	users := map[string]string{organizer.Email: organizer.ID}
	for _, at := range m.Attendees {
		if at.UserID != "" {
			users[at.Email] = at.UserID
		}
	}
	if len(a.Only) > 0 && a.Method == deliverCancel {
		// Removed attendees who are users: the event leaves their calendar.
		for _, r := range recipients {
			if u, err := s.Store.UserByEmail(ctx, m.AccountID, r.Email); err == nil {
				if err := s.Calendars.DeleteEvent(ctx, m.AccountID, u.ID, m.UID); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var recurrenceID time.Time
	if a.OccurrenceID != "" {
		occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
		if err != nil {
			return err
		}
		for _, o := range occs {
			if o.ID == a.OccurrenceID {
				recurrenceID = o.Original
			}
		}
	}
	for _, userID := range users {
		var err error
		if !recurrenceID.IsZero() {
			err = s.Calendars.DeleteOccurrence(ctx, m.AccountID, userID, m.UID, recurrenceID)
		} else {
			err = s.Calendars.DeleteEvent(ctx, m.AccountID, userID, m.UID)
		}
		if err != nil {
			return fmt.Errorf("booking: calendar of %s: %w", userID, err)
		}
	}
	return nil
}

// storeMail writes and stores one mail unless its key was stored before,
// and queues it for the relay.
func (s *Service) storeMail(ctx context.Context, m *store.Meeting, kind, key string, l Letter) error {
	return s.storeMails(ctx, m, []pendingMail{{kind: kind, key: key, letter: l}})
}

// pendingMail is a mail to write and store.
type pendingMail struct {
	kind, key string
	letter    Letter
}

// storeMails writes mails and stores those whose key was never stored, in
// one transaction, with their jobs for the relay.
func (s *Service) storeMails(ctx context.Context, m *store.Meeting, ps []pendingMail) error {
	mails, _, err := s.composeMails(ctx, m, ps)
	if err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.DB) error { return s.addMails(ctx, tx, m, mails) })
}

// composeMails writes mails for the outbox: invitations of one change all
// at once when the Composer can.
func (s *Service) composeMails(ctx context.Context, m *store.Meeting, ps []pendingMail) ([]*store.Mail, []*Composed, error) {
	composed := make([]*Composed, len(ps))
	var err error
	if ec, ok := s.Composer.(EachComposer); ok && len(ps) > 1 && ps[0].letter.Notice == "" {
		ls := make([]Letter, len(ps))
		for i, p := range ps {
			ls[i] = p.letter
		}
		composed, err = ec.ComposeEach(ctx, ls)
		if err = s.composeError(ctx, m, ps[0].key, err); err != nil {
			return nil, nil, err
		}
	} else {
		for i, p := range ps {
			composed[i], err = s.Composer.Compose(ctx, p.letter)
			if err = s.composeError(ctx, m, p.key, err); err != nil {
				return nil, nil, err
			}
		}
	}
	mails := make([]*store.Mail, 0, len(ps))
	for i, p := range ps {
		c := composed[i]
		mail := &store.Mail{
			ID: s.newID("msg_"), AccountID: m.AccountID, MeetingID: m.ID, DedupeKey: p.key, Kind: strings.ToLower(p.kind),
			Sender: p.letter.From.Email, Recipients: []string{p.letter.Recipient.Email}, Subject: c.Subject, MessageID: c.MessageID,
			Raw: c.Raw, Status: store.MailHeld, Created: s.Now().UTC(),
		}
		if s.Mail != nil {
			mail.Status = store.MailQueued
		}
		mails = append(mails, mail)
	}
	return mails, composed, nil
}

// composeError is what an error of the Composer means for the job.
func (s *Service) composeError(ctx context.Context, m *store.Meeting, key string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		// The job was stopped (shutdown, its timeout), not the mail
		// refused: it is written again on the next attempt.
		return fmt.Errorf("booking: write mail %s: %w", key, err)
	}
	s.Log.Error("mail cannot be written", "meeting", m.ID, "key", key, "err", err)
	return jobs.Permanent(fmt.Errorf("booking: write mail %s: %w", key, err))
}

// addMails stores in tx the mails whose key was never stored, with their
// jobs for the relay: a mail's dedupe key makes it once, ever, so its job
// needs no uniqueness of its own.
func (s *Service) addMails(ctx context.Context, tx *store.DB, m *store.Meeting, mails []*store.Mail) error {
	added, err := tx.AddMails(ctx, mails)
	if err != nil {
		return err
	}
	for i, mail := range mails {
		if added[i] && mail.Status == store.MailQueued {
			if err := s.Jobs.Enqueue(ctx, tx, sendMail{AccountID: m.AccountID, MailID: mail.ID}, nil); err != nil {
				return err
			}
		}
		// Not added: written by an earlier attempt, never twice.
	}
	return nil
}

func (s *Service) workSendMail(ctx context.Context, job *jobs.Job[sendMail]) error {
	mail, err := s.Store.Mail(ctx, job.Args.AccountID, job.Args.MailID)
	if err != nil {
		return err
	}
	if mail.Status != store.MailQueued || s.Mail == nil {
		return nil
	}
	err = s.Mail.Send(ctx, mail.Sender, mail.Recipients, mail.Raw)
	mail.Attempts++
	if err == nil {
		mail.Status, mail.Sent, mail.LastError = store.MailSent, s.Now().UTC(), ""
		return s.Store.UpdateMail(ctx, mail)
	}
	mail.LastError = err.Error()
	var perm interface{ Temporary() bool }
	permanent := errors.As(err, &perm) && !perm.Temporary()
	if permanent || job.Attempt >= job.MaxAttempts {
		mail.Status = store.MailFailed
		if uerr := s.Store.UpdateMail(ctx, mail); uerr != nil {
			return uerr
		}
		return jobs.Permanent(err)
	}
	if uerr := s.Store.UpdateMail(ctx, mail); uerr != nil {
		return uerr
	}
	return err
}

// inviteMeeting describes a stored meeting for the invite package.
func (s *Service) inviteMeeting(ctx context.Context, m *store.Meeting, organizer *store.User, occurrenceID string) (*invite.Meeting, error) {
	return s.inviteMeetingWith(ctx, m, organizer, occurrenceID, nil)
}

// inviteMeetingWith is inviteMeeting with m's video meeting at hand (nil:
// decoded from m.Video).
func (s *Service) inviteMeetingWith(ctx context.Context, m *store.Meeting, organizer *store.User, occurrenceID string, vm *video.Meeting) (*invite.Meeting, error) {
	im := &invite.Meeting{
		UID: m.UID, Sequence: m.Sequence, Summary: m.Subject, Description: m.Description,
		Start: m.Start, End: m.End, TimeZone: m.TimeZone,
		Organizer: invite.Person{Name: organizer.Name, Email: organizer.Email},
	}
	if s.BaseURL != "" {
		im.URL = s.BaseURL + "/meetings/" + m.ID
	}
	for _, a := range m.Attendees {
		ps := invite.PartStat(strings.ToUpper(a.Response))
		if a.Response == "" {
			ps = ""
		}
		im.Attendees = append(im.Attendees, invite.Attendee{Person: invite.Person{Name: a.Name, Email: a.Email}, PartStat: ps})
	}
	if len(im.Attendees) == 0 {
		// A meeting of the organizer alone (a video room to share
		// later, time set aside): a REQUEST or CANCEL names at least one
		// ATTENDEE (RFC 5546 §3.2.2, §3.2.5), so the organizer is one,
		// chair and accepted, as calendar servers do. Without it no mail
		// and no calendar event of the meeting could be written.
		im.Attendees = []invite.Attendee{{Person: im.Organizer, Role: invite.RoleChair, PartStat: invite.PartStatAccepted, NoRSVP: true}}
	}
	if vm == nil && len(m.Video) > 0 {
		vm = new(video.Meeting)
		if err := json.Unmarshal(m.Video, vm); err != nil {
			return nil, err
		}
	}
	if vm != nil {
		im.Video = &invite.Video{Provider: s.displayName(m.VideoProvider), JoinURL: vm.JoinURL, MeetingID: vm.ID, Passcode: vm.Password, Invitation: vm.Invitation}
	}
	if m.RRule != "" {
		occs, err := s.Store.Occurrences(ctx, m.AccountID, m.ID)
		if err != nil {
			return nil, err
		}
		im.Recurrence = &invite.Recurrence{RRule: m.RRule}
		for _, o := range occs {
			switch {
			case o.Status == "cancelled":
				im.Recurrence.ExDates = append(im.Recurrence.ExDates, o.Original)
			case !o.Start.Equal(o.Original) || o.End.Sub(o.Start) != m.End.Sub(m.Start):
				im.Overrides = append(im.Overrides, invite.Override{RecurrenceID: o.Original, Start: o.Start, End: o.End})
			}
			if o.ID == occurrenceID {
				im.Occurrence = &invite.Occurrence{RecurrenceID: o.Original}
				im.Start, im.End = o.Start, o.End
			}
		}
	}
	return im, nil
}

func hashString(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// planOf rebuilds the plan of a stored meeting (its rule and occurrences).
func planOf(m *store.Meeting) (*plan, error) {
	loc, err := recur.IANA(m.TimeZone)
	if err != nil {
		return nil, err
	}
	p := &plan{loc: loc, start: m.Start.In(loc), duration: m.End.Sub(m.Start), provider: m.VideoProvider, rrule: m.RRule}
	if m.RRule != "" {
		r, err := recur.ParseRule(m.RRule)
		if err != nil {
			return nil, err
		}
		p.rule = &r
	}
	return p, p.expand()
}

// snapshot is what a recipient was last sent of a meeting: enough to say
// what changed.
type snapshot struct {
	Subject string    `json:"subject"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	JoinURL string    `json:"join_url,omitempty"`
}

// snapshotOf records m's sent version before a change.
func snapshotOf(m *store.Meeting) []byte {
	sn := snapshot{Subject: m.Subject, Start: m.Start, End: m.End}
	if len(m.Video) > 0 {
		var vm video.Meeting
		if json.Unmarshal(m.Video, &vm) == nil {
			sn.JoinURL = vm.JoinURL
		}
	}
	b, _ := json.Marshal(sn)
	return b
}

// previousMeeting is the meeting as last sent, from its snapshot.
func previousMeeting(cur *invite.Meeting, raw []byte) *invite.Meeting {
	var sn snapshot
	if json.Unmarshal(raw, &sn) != nil {
		return nil
	}
	p := *cur
	p.Sequence = cur.Sequence - 1
	p.Summary, p.Start, p.End = sn.Subject, sn.Start, sn.End
	if cur.Video != nil {
		v := *cur.Video
		if sn.JoinURL != "" {
			v.JoinURL = sn.JoinURL
		}
		p.Video = &v
	}
	p.Occurrence = nil
	return &p
}

// NotifyAdmins mails every admin of an account about a problem only an
// admin can solve (an app needs re-authorization, a scope is missing),
// once per distinct problem.
func (s *Service) NotifyAdmins(ctx context.Context, accountID, app, problem string) {
	if err := s.notifyAdmins(ctx, accountID, app, problem); err != nil {
		s.Log.Error("admins not told", "account", accountID, "app", app, "err", err)
	}
}

func (s *Service) notifyAdmins(ctx context.Context, accountID, app, problem string) error {
	acct, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return err
	}
	users, err := s.Store.Users(ctx, accountID)
	if err != nil {
		return err
	}
	from, err := s.sender(ctx, accountID)
	if err != nil {
		return err
	}
	placeholder := &store.Meeting{AccountID: accountID}
	for _, u := range users {
		if !u.Role.IsAdmin() {
			continue
		}
		l := Letter{From: invite.Person{Name: "Convene", Email: from}, Account: acct,
			Meeting: &invite.Meeting{Summary: s.displayName(app)}, Recipient: invite.Person{Name: u.Name, Email: u.Email},
			Language: u.Language, TimeZone: u.TimeZone, Notice: problem, NoticeKind: "admin"}
		key := fmt.Sprintf("admin/%s/%s/%x/%s", accountID, app, hashString(problem), u.Email)
		if err := s.storeMail(ctx, placeholder, "notice", key, l); err != nil {
			return err
		}
	}
	return nil
}

// NotifyUser is apps.Service.NotifyUser: a mail telling one user that
// their own connection of app (per-user mode) needs them, once per problem.
func (s *Service) NotifyUser(ctx context.Context, accountID, userID, app, problem string) {
	if err := s.notifyUser(ctx, accountID, userID, app, problem); err != nil {
		s.Log.Error("user not told", "account", accountID, "app", app, "err", err)
	}
}

func (s *Service) notifyUser(ctx context.Context, accountID, userID, app, problem string) error {
	acct, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return err
	}
	u, err := s.Store.User(ctx, accountID, userID)
	if err != nil {
		return err
	}
	from, err := s.sender(ctx, accountID)
	if err != nil {
		return err
	}
	l := Letter{From: invite.Person{Name: "Convene", Email: from}, Account: acct,
		Meeting: &invite.Meeting{Summary: s.displayName(app)}, Recipient: invite.Person{Name: u.Name, Email: u.Email},
		Language: u.Language, TimeZone: u.TimeZone, Notice: problem, NoticeKind: "connection"}
	key := fmt.Sprintf("connection/%s/%s/%x/%s", accountID, app, hashString(problem), u.Email)
	return s.storeMail(ctx, &store.Meeting{AccountID: accountID}, "notice", key, l)
}
