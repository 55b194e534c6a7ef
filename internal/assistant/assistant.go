package assistant

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/message"
	"github.com/convene/convene/internal/store"
)

// Service is the assistant: the inbox's Processor, the handler of choice
// links, and the reminder sweep.
type Service struct {
	Store     *store.DB
	Accounts  *account.Service
	Booking   *booking.Service
	Calendars *calendar.Service
	Jobs      *jobs.Queue
	// BaseURL is Convene's public URL: choice links point there.
	BaseURL string
	// LinkKey signs choice links (derived from the data key).
	LinkKey []byte
	// GuestReminder is how long a guest may stay silent before the one
	// reminder, and again before the organizer is asked
	// (CONVENE_GUEST_REMINDER, default 24 h).
	GuestReminder time.Duration
	// LinkLifetime bounds how long a choice link works (default 14 days;
	// never after the time it offers).
	LinkLifetime time.Duration
	Log          *slog.Logger
	Now          func() time.Time
	Rand         io.Reader
}

var _ inbox.Processor = (*Service)(nil)

// Defaults.
const (
	DefaultGuestReminder = 24 * time.Hour
	defaultLinkLifetime  = 14 * 24 * time.Hour
	// leaseFor is how long one worker holds a thread: longer than any
	// step (a step is a few database transactions), shorter than a retry.
	leaseFor = 2 * time.Minute
	// workingDays is the default search horizon: the next five working
	// days.
	workingDays = 5
)

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Service) reminder() time.Duration {
	if s.GuestReminder <= 0 {
		return DefaultGuestReminder
	}
	return s.GuestReminder
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Service) newID(prefix string) string {
	var b [10]byte
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	io.ReadFull(r, b[:])
	return prefix + strings.ToLower(b32.EncodeToString(b[:]))
}

// Register adds the assistant's jobs: the confirmation that waits for a
// booking's video meeting, and the reminder sweep every minute (or every
// GuestReminder/4 when shorter, for tests and demos).
func (s *Service) Register(q *jobs.Queue) {
	jobs.Register(q, s.workConfirm)
	jobs.Register(q, s.workRemind)
	every := time.Minute
	if r := s.reminder() / 4; r < every {
		every = max(r, time.Second)
	}
	q.Every(every, remindSweep{})
}

// Outcomes of a step, shown to the admins with the inbox message.
const (
	outcomeProcessed    = "processed"
	outcomeNotProcessed = "not_processed"
)

// stepResult is Process's answer for a finished step: nil, or
// ErrNotProcessed with the reason.
func stepResult(st *store.Step) error {
	if st.Outcome == outcomeNotProcessed {
		return fmt.Errorf("%w: %s", inbox.ErrNotProcessed, st.Detail)
	}
	return nil
}

// incoming is a received message, read.
type incoming struct {
	msg    *inbox.Message
	sender inbox.Sender
	m      *message.Message
	// keys place the message in a thread: its ids, and Outlook's
	// conversation index.
	keys []string
	// at is when it was written: its Date when plausible, else when it
	// arrived.
	at time.Time
	// auto: an automatic message (RFC 3834 Auto-Submitted, a bulk or
	// list Precedence): never answered, never read as an answer.
	auto bool
}

// Process implements inbox.Processor: it reads one authenticated message
// and does what it asks, exactly once per msg.ID. See the package comment
// for the rules.
func (s *Service) Process(ctx context.Context, msg *inbox.Message, sender inbox.Sender) error {
	if st, err := s.Store.Step(ctx, msg.AccountID, msg.ID); err == nil && st.Status == store.StepDone {
		return stepResult(st)
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	in, err := s.read(msg, sender)
	if err != nil {
		return s.finishStep(ctx, msg.AccountID, msg.ID, "", outcomeNotProcessed, "unreadable: "+err.Error())
	}
	if in.m.Calendar != nil && (in.m.Calendar.Method == "REPLY" || in.m.Calendar.Method == "COUNTER") {
		return s.calendarAnswer(ctx, in)
	}
	th, err := s.findThread(ctx, in)
	if err != nil {
		return err
	}
	if th == nil {
		if in.auto {
			return s.finishStep(ctx, msg.AccountID, msg.ID, "", outcomeNotProcessed, "an automatic message outside any thread: ignored")
		}
		if !sender.Authenticated {
			// The inbox never hands these over; were it to, nothing is
			// sent to an address nobody proved (no backscatter).
			return s.finishStep(ctx, msg.AccountID, msg.ID, "", outcomeNotProcessed, "refused: the sender is not proven; nothing sent, nothing booked")
		}
		if !sender.MayCommand() {
			return s.refuse(ctx, in)
		}
		return s.newRequest(ctx, in)
	}
	return s.inThread(ctx, th, in)
}

// finishStep records a step that did nothing but be recorded, and returns
// what Process returns for it.
func (s *Service) finishStep(ctx context.Context, accountID, id, threadID, outcome, detail string) error {
	now := s.now()
	st := &store.Step{AccountID: accountID, ID: id, ThreadID: threadID, Status: store.StepDone, Outcome: outcome,
		Detail: clip(detail, 2000), Created: now, Done: now}
	if err := s.Store.PutStep(ctx, st); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	s.log().Info("assistant step", "account", accountID, "step", id, "thread", threadID, "outcome", outcome, "detail", detail)
	return stepResult(st)
}

// read reads a stored message for the assistant.
func (s *Service) read(msg *inbox.Message, sender inbox.Sender) (*incoming, error) {
	m, err := message.Read(msg.Raw, message.Options{})
	if err != nil {
		return nil, err
	}
	in := &incoming{msg: msg, sender: sender, m: m, at: msg.Received}
	if !m.Date.IsZero() && m.Date.After(msg.Received.Add(-48*time.Hour)) && m.Date.Before(msg.Received.Add(time.Hour)) {
		in.at = m.Date
	}
	k := m.Keys
	for _, l := range [][]string{{k.MessageID}, k.InReplyTo, k.References, k.Forwarded} {
		in.keys = append(in.keys, l...)
	}
	if k.ThreadIndex != "" {
		in.keys = append(in.keys, "thread-index:"+k.ThreadIndex)
	}
	auto := strings.ToLower(strings.TrimSpace(msg.Header.Get("Auto-Submitted")))
	prec := strings.ToLower(strings.TrimSpace(msg.Header.Get("Precedence")))
	in.auto = auto != "" && auto != "no" || prec == "bulk" || prec == "list" || prec == "junk" ||
		msg.Header.Get("X-Autoreply") != "" || msg.Header.Get("X-Autorespond") != ""
	return in, nil
}

// personKey is the thread key of a participant's address.
func personKey(addr string) string { return "person:" + message.AddressKey(addr) }

// findThread places a message in a thread: by its ids (message.BelongsTo's
// rule: any id it names, or Outlook's conversation index, among those the
// thread's messages named), else, for a guest whose client dropped every
// id, by the sender taking part in a recent thread with the same subject.
func (s *Service) findThread(ctx context.Context, in *incoming) (*store.Thread, error) {
	ths, err := s.Store.ThreadsByKeys(ctx, in.msg.AccountID, in.keys, 10)
	if err != nil {
		return nil, err
	}
	var found []store.Thread
	for _, th := range ths {
		ok, err := s.belongs(ctx, &th, in)
		if err != nil {
			return nil, err
		}
		if ok {
			found = append(found, th)
		}
	}
	if len(found) > 0 {
		// A message naming several threads belongs to the one its sender
		// takes part in, the most recent first.
		for i := range found {
			if s.participant(&found[i], in.sender) {
				return &found[i], nil
			}
		}
		return &found[0], nil
	}
	if in.sender.UserID != "" || in.m.Keys.Subject == "" {
		return nil, nil // an organizer's new message is a new request
	}
	ths, err = s.Store.ThreadsByKeys(ctx, in.msg.AccountID, []string{personKey(in.sender.Address)}, 20)
	if err != nil {
		return nil, err
	}
	for i := range ths {
		d, err := decodeData(&ths[i])
		if err != nil {
			continue
		}
		if d.Topic == in.m.Keys.Subject && ths[i].State != stateCancelled && in.at.Sub(ths[i].Updated) < 30*24*time.Hour &&
			d.guestIndex(in.sender.Address) >= 0 {
			return &ths[i], nil
		}
	}
	return nil, nil
}

// belongs checks a candidate thread with message.BelongsTo, the shared
// definition of a thread, over the ids its messages named.
func (s *Service) belongs(ctx context.Context, th *store.Thread, in *incoming) (bool, error) {
	keys, err := s.Store.ThreadKeys(ctx, th.AccountID, th.ID, 5000)
	if err != nil {
		return false, err
	}
	ids := message.Keys{}
	thread := []message.Keys{}
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "person:"):
		case strings.HasPrefix(k, "thread-index:"):
			thread = append(thread, message.Keys{ThreadIndex: strings.TrimPrefix(k, "thread-index:")})
		default:
			ids.References = append(ids.References, k)
		}
	}
	return message.BelongsTo(append(thread, ids), in.m.Keys), nil
}

// participant reports whether the sender organizes or is invited to the
// thread's meeting.
func (s *Service) participant(th *store.Thread, snd inbox.Sender) bool {
	if snd.UserID != "" && snd.UserID == th.OrganizerID {
		return true
	}
	d, err := decodeData(th)
	if err != nil {
		return false
	}
	_, ok := d.attendee(snd.Address)
	return ok
}

// refuse answers an authenticated sender who is not a user of the account
// with one short, polite mail (never to an unproven address: the inbox
// does not hand those over, so there is no backscatter), and records it.
func (s *Service) refuse(ctx context.Context, in *incoming) error {
	acct, err := s.Store.Account(ctx, in.msg.AccountID)
	if err != nil {
		return err
	}
	from, err := s.assistantAddress(ctx, acct.ID)
	if err != nil {
		return err
	}
	brand := brandingOf(acct)
	lang := string(in.m.Language)
	if lang != "fr" {
		lang = "en"
	}
	l := &letter{Kind: "refusal", Lang: lang, To: person{Email: in.sender.Address, Name: in.m.From.Name}, FromName: brand.Name,
		Data: letterData{Account: brand.Name}, Topic: in.m.Topic, InReplyTo: in.m.Keys.MessageID,
		References: append(append([]string{}, in.m.Keys.References...), in.m.Keys.MessageID),
		Key:        "assistant/" + in.msg.AccountID + "/" + in.msg.ID + "/refusal", Auto: true}
	detail := "refused: " + in.sender.Address + " is not a user of this account; a polite refusal was sent and nothing booked"
	err = s.Store.InTx(ctx, func(tx *store.DB) error {
		mail, err := compose(l, from, brand, s.now())
		if err != nil {
			return err
		}
		mail.AccountID = acct.ID
		if _, err := s.Booking.QueueMail(ctx, tx, mail); err != nil {
			return err
		}
		now := s.now()
		return tx.PutStep(ctx, &store.Step{AccountID: acct.ID, ID: in.msg.ID, Status: store.StepDone, Outcome: outcomeNotProcessed,
			Detail: detail, Created: now, Done: now})
	})
	if err != nil {
		return err
	}
	s.log().Info("assistant refused a sender", "account", acct.ID, "id", in.msg.ID, "from", in.sender.Address)
	return fmt.Errorf("%w: %s", inbox.ErrNotProcessed, detail)
}

// assistantAddress is the From of the assistant's mail.
func (s *Service) assistantAddress(ctx context.Context, accountID string) (string, error) {
	addr, err := s.Accounts.AssistantAddress(ctx, accountID)
	if err != nil {
		return "", err
	}
	return fromAddress(addr), nil
}

// fromAddress is the From of the assistant's mail given the account's
// assistant address ("" when it has none).
func fromAddress(addr string) string {
	if addr == "" {
		return "assistant@convene.invalid"
	}
	return addr
}

// principalOf is the organizer acting: the assistant books in their name,
// with their rights and no more.
func principalOf(u *store.User) account.Principal {
	return account.Principal{AccountID: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role}
}

// clip cuts s to n bytes at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s[:n])
	return string(r[:len(r)-1])
}

// planJSON is the plan of a side effect recorded before it runs (see
// planned).
type planJSON struct {
	Action   string    `json:"action"`
	Start    time.Time `json:"start,omitzero"`
	Duration int       `json:"duration,omitempty"`
	Provider string    `json:"provider,omitempty"`
}

// planned returns the plan recorded for step id, or records the one
// compute makes: a side effect outside the assistant's transaction (a
// reschedule, a cancellation) then runs with the same parameters however
// many times the step is retried, so retrying it changes nothing.
func (s *Service) planned(ctx context.Context, accountID, id, threadID string, compute func() (*planJSON, error)) (*planJSON, error) {
	st, err := s.Store.Step(ctx, accountID, id)
	if err == nil && st.Status == store.StepPlanned {
		var p planJSON
		if err := json.Unmarshal(st.Plan, &p); err == nil {
			return &p, nil
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	p, err := compute()
	if err != nil {
		return nil, err
	}
	blob, _ := json.Marshal(p)
	err = s.Store.PutStep(ctx, &store.Step{AccountID: accountID, ID: id, ThreadID: threadID, Status: store.StepPlanned,
		Plan: blob, Created: s.now()})
	if err != nil {
		return nil, err
	}
	return p, nil
}
