package account

import (
	"context"
	"errors"
	"strings"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// CreateToken issues a new API token for the principal's own user and
// returns it with its secret, shown only this once.
func (s *Service) CreateToken(ctx context.Context, p Principal, name string) (*store.Token, string, error) {
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return nil, "", failure.Field("name", "use at most 100 characters")
	}
	return s.issueToken(ctx, s.Store, p.AccountID, p.UserID, name)
}

// Tokens lists the principal's own tokens (never their secrets).
func (s *Service) Tokens(ctx context.Context, p Principal) ([]store.Token, error) {
	return s.Store.Tokens(ctx, p.AccountID, p.UserID)
}

// DeleteToken revokes one of the principal's own tokens.
func (s *Service) DeleteToken(ctx context.Context, p Principal, id string) error {
	err := s.Store.DeleteToken(ctx, p.AccountID, p.UserID, id)
	if errors.Is(err, store.ErrNotFound) {
		return failure.New(failure.NotFound, "no such token")
	}
	return err
}
