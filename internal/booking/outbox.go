package booking

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The outbox as the account's admins see it: every mail Convene sent or
// holds, and one mail's details. The bytes of a mail are read through
// RawMail, which keeps mail that carries a sign-in link to its recipient
// and the owners.

// MaxOutboxPage is the most mails Outbox lists at once.
const MaxOutboxPage = 1000

// Outbox lists the account's mail, newest first, without the bytes: at
// most limit (1 to MaxOutboxPage), of one meeting when meetingID is set. Admins
// only.
func (s *Service) Outbox(ctx context.Context, p account.Principal, meetingID string, limit int) ([]store.Mail, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if limit < 1 || limit > MaxOutboxPage {
		return nil, failure.Field("limit", "use 1 to %d", MaxOutboxPage)
	}
	// Headers only: the list never reads the bodies.
	ms, err := s.Store.MailHeaders(ctx, p.AccountID, meetingID, limit)
	if err != nil {
		return nil, fmt.Errorf("booking: outbox: %w", err)
	}
	return ms, nil
}

// MailInfo returns one mail of the outbox without its bytes, to an admin
// of its account, and whether they may read the bytes (RawMail): not a
// mail that carries another person's sign-in link, unless they are an
// owner.
func (s *Service) MailInfo(ctx context.Context, p account.Principal, id string) (*store.Mail, bool, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, false, err
	}
	m, err := s.Store.Mail(ctx, p.AccountID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, failure.New(failure.NotFound, "no mail %s", id)
	}
	if err != nil {
		return nil, false, fmt.Errorf("booking: load mail: %w", err)
	}
	m.Raw = nil
	return m, mayReadRaw(p, m), nil
}

// CarriesSignIn reports whether a mail of this kind carries a sign-in link
// (a password reset), which only its recipient or an owner may read.
func CarriesSignIn(kind string) bool { return slices.Contains(accountMailKinds, kind) }

// mayReadRaw reports whether admin p may read the bytes of m.
func mayReadRaw(p account.Principal, m *store.Mail) bool {
	return !CarriesSignIn(m.Kind) || p.Role == store.RoleOwner || slices.Contains(m.Recipients, p.Email)
}
