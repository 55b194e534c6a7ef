package booking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

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
}

// Composer writes mail; the invite package does it.
type Composer interface {
	Compose(ctx context.Context, l Letter) (*Composed, error)
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
	addr, err := s.Accounts.AssistantAddress(ctx, accountID)
	if err != nil {
		return "", err
	}
	if addr == "" {
		// No verified domain: mail stays in the outbox with a sender no
		// one can answer.
		return "assistant@convene.invalid", nil
	}
	return addr, nil
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
	organizer, base, err := s.letterBase(ctx, m)
	if err != nil {
		return err
	}

	im, err := s.inviteMeeting(ctx, m, organizer, a.OccurrenceID)
	if err != nil {
		return err
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
	earlier, err := s.Store.Mails(ctx, m.AccountID, m.ID, 0)
	if err != nil {
		return err
	}
	var previous *invite.Meeting
	if len(m.Previous) > 0 && method == invite.MethodRequest {
		previous = previousMeeting(im, m.Previous)
	}
	var pending []pendingMail
	for _, r := range recipients {
		l := base
		l.Method, l.Meeting, l.Recipient, l.Update, l.Previous, l.Reason = method, im, r, m.Sequence > 0, previous, m.Problem
		if u, err := s.Store.UserByEmail(ctx, m.AccountID, r.Email); err == nil {
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
	if err := s.storeMails(ctx, m, pending); err != nil {
		return err
	}
	return s.writeCalendars(ctx, m, organizer, a, recipients)
}

// writeCalendars puts the meeting in the built-in calendars of the
// organizer and of the attendees who are users (or takes it out), so their
// availability and their CalDAV clients see it. Writes are idempotent: a
// retried job writes the same event again.
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
	var ics []byte
	if a.Method == deliverRequest {
		full, err := s.inviteMeeting(ctx, m, organizer, "")
		if err != nil {
			return err
		}
		if ics, err = invite.Calendar(invite.MethodRequest, full, s.Now()); err != nil {
			return err
		}
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
		switch {
		case a.Method == deliverRequest:
			_, err = s.Calendars.WriteEvent(ctx, m.AccountID, userID, ics)
		case !recurrenceID.IsZero():
			err = s.Calendars.DeleteOccurrence(ctx, m.AccountID, userID, m.UID, recurrenceID)
		default:
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
	mails := make([]*store.Mail, 0, len(ps))
	for _, p := range ps {
		c, err := s.Composer.Compose(ctx, p.letter)
		if err != nil && ctx.Err() != nil {
			// The job was stopped (shutdown, its timeout), not the mail
			// refused: it is written again on the next attempt.
			return fmt.Errorf("booking: write mail %s: %w", p.key, err)
		}
		if err != nil {
			s.Log.Error("mail cannot be written", "meeting", m.ID, "key", p.key, "err", err)
			return jobs.Permanent(fmt.Errorf("booking: write mail %s: %w", p.key, err))
		}
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
	return s.Store.InTx(ctx, func(tx *store.DB) error {
		for _, mail := range mails {
			added, err := tx.AddMail(ctx, mail)
			if err != nil {
				return err
			}
			if added && mail.Status == store.MailQueued {
				if err := s.Jobs.Enqueue(ctx, tx, sendMail{AccountID: m.AccountID, MailID: mail.ID}, uniqueArgs); err != nil {
					return err
				}
			}
			// Not added: written by an earlier attempt, never twice.
		}
		return nil
	})
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
	if len(m.Video) > 0 {
		var vm video.Meeting
		if err := json.Unmarshal(m.Video, &vm); err != nil {
			return nil, err
		}
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
	loc, err := time.LoadLocation(m.TimeZone)
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
