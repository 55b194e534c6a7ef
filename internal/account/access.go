package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// What admins do when someone leaves: change a user's role, disable them,
// remove them, and revoke their API tokens.
//
// The rules, checked in one transaction per change (serialized per account,
// so two owners cannot demote each other at once and leave none):
//   - only owners and admins manage users, and only an owner changes,
//     disables or removes an owner, makes someone owner, or revokes an
//     owner's tokens;
//   - an account always keeps an active owner: its last one cannot be
//     demoted, disabled or removed (make another user owner first);
//   - nobody disables or removes themselves (another admin can), so that no
//     one locks themselves out by mistake.
//
// Disabling is reversible and keeps everything but their web sessions: the
// user's tokens and CalDAV credentials stop working at once (Authenticate
// refuses them), their web sessions end, and they cannot organize new
// meetings; their meetings, calendars, password and tokens stay and work
// again when re-enabled.
//
// Removing is final. In the same transaction:
//   - the meetings they organize that have not started are cancelled the
//     way the organizer would cancel them (Departures: the video meeting is
//     deleted at the provider and every invitee gets a CANCEL); a series
//     under way ends before its next occurrence; meetings that have started
//     or are over stay for the record, with the organizer shown as removed;
//   - their API tokens, web sessions, password, calendar sources and
//     built-in calendar are deleted;
//   - on other people's meetings they stay invited by address, as a guest
//     from outside the account would be;
//   - their row becomes a tombstone (store.User.Removed) that frees their
//     address for a new user.

// Departures ends what a removed user leaves behind elsewhere in Convene:
// the booking service cancels their meetings.
type Departures interface {
	// UserRemoved runs inside the transaction that removes u, before u
	// becomes a tombstone, and returns how many meetings it cancelled.
	UserRemoved(ctx context.Context, tx store.Store, u *store.User, at time.Time) (cancelled int, err error)
}

// AccessPatch is what an admin changes of a user; nil fields stay.
type AccessPatch struct {
	Role     *store.Role `json:"role"`
	Disabled *bool       `json:"disabled"`
}

// Removal is what removing a user did.
type Removal struct {
	User              *store.User
	MeetingsCancelled int
	TokensRevoked     int
}

// usersLock serializes the changes of an account's users that the
// last-owner rule depends on.
func usersLock(accountID string) string { return "users/" + accountID }

// managedUser loads the user with address email of p's account for an
// admin change. Another account's address is not found, like a
// missing one: the answer does not tell whether it is a user elsewhere.
func managedUser(ctx context.Context, st store.Store, p Principal, email string) (*store.User, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return nil, failure.New(failure.NotFound, "no such user in this account")
	}
	u, err := st.UserByEmail(ctx, p.AccountID, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "no such user in this account")
	}
	if err != nil {
		return nil, fmt.Errorf("account: load user: %w", err)
	}
	return u, nil
}

// requireOwnerFor refuses an admin who is not an owner a change that
// concerns an owner.
func requireOwnerFor(p Principal, target *store.User, what string) error {
	if target.Role == store.RoleOwner && p.Role != store.RoleOwner {
		return failure.New(failure.Forbidden, "only an owner may %s an owner", what)
	}
	return nil
}

// lastOwner reports whether u is the account's only active owner.
func lastOwner(ctx context.Context, st store.Store, u *store.User) (bool, error) {
	if u.Role != store.RoleOwner || !u.Active() {
		return false, nil
	}
	n, err := st.CountActiveOwners(ctx, u.AccountID)
	if err != nil {
		return false, fmt.Errorf("account: count owners: %w", err)
	}
	return n <= 1, nil
}

// UpdateAccess changes a user's role or disables or re-enables them.
func (s *Service) UpdateAccess(ctx context.Context, p Principal, email string, patch AccessPatch) (*store.User, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if patch.Role != nil && !patch.Role.Valid() {
		return nil, failure.Field("role", "%q is not owner, admin or member", *patch.Role)
	}
	var out *store.User
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.LockKey(ctx, usersLock(p.AccountID)); err != nil {
			return err
		}
		u, err := managedUser(ctx, tx, p, email)
		if err != nil {
			return err
		}
		role, disabled := u.Role, u.Disabled
		if patch.Role != nil {
			role = *patch.Role
		}
		if patch.Disabled != nil {
			switch {
			case !*patch.Disabled:
				disabled = time.Time{}
			case disabled.IsZero():
				disabled = s.Now().UTC()
			}
		}
		if role == u.Role && disabled.Equal(u.Disabled) {
			out = u
			return nil // nothing changes
		}
		if err := requireOwnerFor(p, u, "change"); err != nil {
			return err
		}
		if role == store.RoleOwner && p.Role != store.RoleOwner {
			return failure.New(failure.Forbidden, "only an owner may make another user owner")
		}
		if !disabled.IsZero() && u.ID == p.UserID {
			return failure.New(failure.Conflict, "you cannot disable yourself; another admin of the account can")
		}
		if role != store.RoleOwner || !disabled.IsZero() {
			last, err := lastOwner(ctx, tx, u)
			if err != nil {
				return err
			}
			if last {
				return failure.New(failure.Conflict, "%s is the account's last owner and cannot be demoted or disabled; make another user owner first", u.Email)
			}
		}
		if err := tx.SetUserAccess(ctx, p.AccountID, u.ID, role, disabled); err != nil {
			return err
		}
		if role != u.Role {
			if err := s.audit(ctx, tx, p, AuditUserRole, u.Email, Detail{"from": u.Role, "to": role}); err != nil {
				return err
			}
		}
		if disabled.IsZero() != u.Disabled.IsZero() {
			action := AuditUserEnable
			if !disabled.IsZero() {
				action = AuditUserDisable
			}
			if err := s.audit(ctx, tx, p, action, u.Email, nil); err != nil {
				return err
			}
		}
		if !disabled.IsZero() {
			// Their web sessions die with the disabling.
			if _, err := tx.DeleteUserSessions(ctx, p.AccountID, u.ID, ""); err != nil {
				return err
			}
		}
		u.Role, u.Disabled = role, disabled
		out = u
		return nil
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("account: update access: %w", err)
	}
	return out, nil
}

// RemoveUser removes a user from the principal's account, as the package
// comment of this file describes.
func (s *Service) RemoveUser(ctx context.Context, p Principal, email string) (*Removal, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	var out *Removal
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.LockKey(ctx, usersLock(p.AccountID)); err != nil {
			return err
		}
		u, err := managedUser(ctx, tx, p, email)
		if err != nil {
			return err
		}
		if err := requireOwnerFor(p, u, "remove"); err != nil {
			return err
		}
		if u.ID == p.UserID {
			return failure.New(failure.Conflict, "you cannot remove yourself; another admin of the account can")
		}
		last, err := lastOwner(ctx, tx, u)
		if err != nil {
			return err
		}
		if last {
			return failure.New(failure.Conflict, "%s is the account's last owner and cannot be removed; make another user owner first", u.Email)
		}
		now := s.Now().UTC()
		out = &Removal{User: u}
		if s.Departures != nil {
			if out.MeetingsCancelled, err = s.Departures.UserRemoved(ctx, tx, u, now); err != nil {
				return err
			}
		}
		if out.TokensRevoked, err = tx.DeleteUserTokens(ctx, p.AccountID, u.ID); err != nil {
			return err
		}
		if err := tx.DeleteUserCalendars(ctx, p.AccountID, u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, p.AccountID, u.ID, ""); err != nil {
			return err
		}
		if err := tx.DeleteUserPassword(ctx, p.AccountID, u.ID); err != nil {
			return err
		}
		if err := tx.ForgetAttendeeUser(ctx, p.AccountID, u.ID); err != nil {
			return err
		}
		if err := tx.RemoveUser(ctx, p.AccountID, u.ID, now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, p, AuditUserRemove, u.Email,
			Detail{"meetings_cancelled": out.MeetingsCancelled, "tokens_revoked": out.TokensRevoked}); err != nil {
			return err
		}
		u.Removed, u.Role = now, store.RoleMember
		if u.Disabled.IsZero() {
			u.Disabled = now
		}
		return nil
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("account: remove user: %w", err)
	}
	return out, nil
}

// UserTokens lists the API tokens of a user of the admin's account (never
// their secrets).
func (s *Service) UserTokens(ctx context.Context, p Principal, email string) ([]store.Token, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	u, err := managedUser(ctx, s.Store, p, email)
	if err != nil {
		return nil, err
	}
	return s.Store.Tokens(ctx, p.AccountID, u.ID)
}

// RevokeUserTokens revokes every API token of a user of the admin's
// account and returns how many there were.
func (s *Service) RevokeUserTokens(ctx context.Context, p Principal, email string) (int, error) {
	if err := p.RequireAdmin(); err != nil {
		return 0, err
	}
	u, err := managedUser(ctx, s.Store, p, email)
	if err != nil {
		return 0, err
	}
	if err := requireOwnerFor(p, u, "revoke the tokens of"); err != nil {
		return 0, err
	}
	var n int
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if n, err = tx.DeleteUserTokens(ctx, p.AccountID, u.ID); err != nil || n == 0 {
			return err
		}
		return s.audit(ctx, tx, p, AuditTokensRevoke, u.Email, Detail{"revoked": n})
	})
	if err != nil {
		return 0, fmt.Errorf("account: revoke tokens: %w", err)
	}
	return n, nil
}

// RevokeUserToken revokes one API token of a user of the admin's account.
func (s *Service) RevokeUserToken(ctx context.Context, p Principal, email, id string) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	u, err := managedUser(ctx, s.Store, p, email)
	if err != nil {
		return err
	}
	if err := requireOwnerFor(p, u, "revoke the tokens of"); err != nil {
		return err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.DeleteToken(ctx, p.AccountID, u.ID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditTokenRevoke, u.Email, Detail{"token": id})
	})
	if errors.Is(err, store.ErrNotFound) {
		return failure.New(failure.NotFound, "%s has no token %s", u.Email, id)
	}
	if err != nil {
		return fmt.Errorf("account: revoke token: %w", err)
	}
	return nil
}
