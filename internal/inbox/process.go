package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/store"
)

// Sender is who wrote a message, as far as the inbox could prove it.
type Sender struct {
	// Address is the RFC 5322.From address (domain lower case).
	Address string
	Name    string
	// UserID is the user of the account with that address; "" for anyone
	// else (a guest, or a user of another account).
	UserID string
	// Authenticated: the address passed the sender check (DMARC
	// alignment, see internal/mail/mailauth). The Processor only ever sees
	// authenticated senders; a guest's answer counts for the thread of
	// that guest's address and no other.
	Authenticated bool
	// Reason says how the address was proven, or why not.
	Reason  string
	Verdict mailauth.Verdict
}

// MayCommand reports whether the sender may start or change meetings: an
// authenticated user of the account whose assistant was written to.
func (s Sender) MayCommand() bool { return s.Authenticated && s.UserID != "" }

// Processor handles the mail of authenticated senders: the assistant.
//
// Process is called at least once per stored message (again after a crash
// or an error), never for a duplicate or an unauthenticated sender; it
// must be idempotent, keyed by msg.ID. Returning ErrNotProcessed records
// the message as received and not processed; an error wrapped by
// Permanent fails it for good; any other error is retried later.
type Processor interface {
	Process(ctx context.Context, msg *Message, sender Sender) error
}

// ErrNotProcessed: the processor chose not to handle the message.
var ErrNotProcessed = errors.New("inbox: not processed")

// Unprocessed is the Processor until the assistant exists: every message
// is kept, visible to the admins, as received and not processed.
type Unprocessed struct{}

// Process implements Processor.
func (Unprocessed) Process(context.Context, *Message, Sender) error {
	return fmt.Errorf("%w: no assistant handles mail yet", ErrNotProcessed)
}

// permanentError marks a processor error as final.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps a Processor's error so that the message fails for good
// instead of being retried.
func Permanent(err error) error { return permanentError{err} }

// processMessage is the job that checks a received message's sender and
// hands it to the Processor.
type processMessage struct {
	AccountID string `json:"account_id"`
	MessageID string `json:"message_id"`
}

// Kind implements jobs.Args.
func (processMessage) Kind() string { return "inbox.process" }

// authAttempts is how many times a sender check that failed on DNS is
// tried before the message is rejected (with River's backoff, about ten
// minutes).
const authAttempts = 5

// Register adds the inbox's jobs to the queue: processing, and the
// retention purge every interval.
func (s *Service) Register(q *jobs.Queue) {
	jobs.Register(q, s.workProcess)
	jobs.Register(q, s.workPurge)
	q.Every(s.purgeInterval(), purgeRaw{})
}

func (s *Service) processor() Processor {
	if s.Processor == nil {
		return Unprocessed{}
	}
	return s.Processor
}

func (s *Service) workProcess(ctx context.Context, job *jobs.Job[processMessage]) error {
	a := job.Args
	m, err := s.Store.InboxMessage(ctx, a.AccountID, a.MessageID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the account is gone
	}
	if err != nil {
		return err
	}
	if m.Status != store.InboxReceived {
		return nil // done by an earlier run
	}
	m.Attempts++
	if m.Raw == nil {
		return s.finish(ctx, m, store.InboxExpired, "purged after the retention period before it was processed")
	}
	msg, err := parseMessage(m)
	if err != nil {
		return s.finish(ctx, m, store.InboxRejected, err.Error())
	}
	verdict, err := s.verdict(ctx, m, job.Attempt >= authAttempts)
	if err != nil {
		if uerr := s.Store.UpdateInboxMessage(ctx, m); uerr != nil {
			return uerr
		}
		return err
	}
	sender, err := s.sender(ctx, m.AccountID, verdict)
	if err != nil {
		return err
	}
	m.Authenticated, m.SenderUserID, m.Reason = sender.Authenticated, sender.UserID, sender.Reason
	if !sender.Authenticated {
		s.log().Warn("mail refused: sender not proven", "account", m.AccountID, "id", m.ID, "from", sender.Address,
			"remote_ip", m.RemoteIP, "reason", sender.Reason)
		return s.finish(ctx, m, store.InboxRejected, sender.Reason)
	}
	// The verdict is kept before the processor runs, so that a retry does
	// not ask DNS again (keys may rotate meanwhile).
	if err := s.Store.UpdateInboxMessage(ctx, m); err != nil {
		return err
	}
	err = s.processor().Process(ctx, msg, sender)
	var perm permanentError
	switch {
	case err == nil:
		return s.finish(ctx, m, store.InboxProcessed, sender.Reason)
	case errors.Is(err, ErrNotProcessed):
		s.log().Info("mail received, not processed", "account", m.AccountID, "id", m.ID, "from", sender.Address, "why", err)
		return s.finish(ctx, m, store.InboxUnprocessed, err.Error())
	case errors.As(err, &perm) || job.Attempt >= job.MaxAttempts:
		s.log().Error("mail processing failed", "account", m.AccountID, "id", m.ID, "err", err)
		if ferr := s.finish(ctx, m, store.InboxFailed, err.Error()); ferr != nil {
			return ferr
		}
		return jobs.Permanent(err)
	default:
		return err
	}
}

// verdict returns the stored verdict of a message, or checks its sender
// and records the outcome in m. A temporary DNS failure is an error, to
// retry, unless last is set: then the message is judged on what was found.
func (s *Service) verdict(ctx context.Context, m *store.InboxMessage, last bool) (*mailauth.Verdict, error) {
	if !m.Checked.IsZero() && len(m.Verdict) > 0 {
		var v mailauth.Verdict
		if err := json.Unmarshal(m.Verdict, &v); err == nil {
			return &v, nil
		}
	}
	v, err := s.Auth.Check(ctx, mailauth.Input{Raw: m.Raw, RemoteIP: m.RemoteIP, HELO: m.HELO, MailFrom: m.MailFrom,
		FromTrustedMTA: m.Source == SourceIMAP})
	var te *mailauth.TempError
	if errors.As(err, &te) && !last {
		m.Reason = te.Verdict.Reason
		return nil, fmt.Errorf("inbox: check sender of %s: %w", m.ID, err)
	}
	if err != nil && !errors.As(err, &te) {
		return nil, fmt.Errorf("inbox: check sender of %s: %w", m.ID, err)
	}
	m.Verdict, _ = json.Marshal(v)
	m.Checked = s.now()
	return v, nil
}

// sender resolves a verdict's From address to a user of the account.
func (s *Service) sender(ctx context.Context, accountID string, v *mailauth.Verdict) (Sender, error) {
	snd := Sender{Address: v.From, Name: v.Name, Authenticated: v.Pass, Reason: v.Reason, Verdict: *v}
	if !v.Pass {
		// An unproven address names no one: not even the user it
		// claims to be.
		return snd, nil
	}
	u, err := s.Store.UserByEmail(ctx, accountID, v.From)
	switch {
	case errors.Is(err, store.ErrNotFound):
		snd.Reason = v.Reason + "; not a user of this account (a guest)"
	case err != nil:
		return snd, fmt.Errorf("inbox: sender %s: %w", v.From, err)
	default:
		snd.UserID = u.ID
	}
	return snd, nil
}

// finish records a message's final status.
func (s *Service) finish(ctx context.Context, m *store.InboxMessage, status, reason string) error {
	m.Status, m.Reason, m.Processed = status, clean(reason, 2000), s.now()
	return s.Store.UpdateInboxMessage(ctx, m)
}
