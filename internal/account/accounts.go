package account

import (
	"context"
	"fmt"
	"strings"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

// Account returns the principal's account.
func (s *Service) Account(ctx context.Context, p Principal) (*store.Account, error) {
	return s.Store.Account(ctx, p.AccountID)
}

// AccountForAdmin returns the principal's account to one of its admins, for
// what only admins may do with it (previewing invitation templates with
// its branding): a member gets Forbidden.
func (s *Service) AccountForAdmin(ctx context.Context, p Principal) (*store.Account, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	return s.Store.Account(ctx, p.AccountID)
}

// AccountPatch changes account settings; nil fields stay as they are.
// Invitation templates and branding are checked together by the invite
// package (look.go).
type AccountPatch struct {
	Name                 *string
	Language             *string
	DefaultVideoProvider *string
	Invitation           *invite.Templates
	Branding             *invite.Branding
	// AssistantAddress sets the account's assistant address; "" returns
	// to the default.
	AssistantAddress *string
	// Invitations is who mails the invitations of meetings whose
	// organizer has an app calendar: store.InvitationsConvene or
	// store.InvitationsProvider.
	Invitations *string
}

// UpdateAccount applies a patch to the admin's account.
func (s *Service) UpdateAccount(ctx context.Context, p Principal, patch AccountPatch) (*store.Account, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	// Templates are checked before the transaction: rendering the samples
	// takes a while, and the writer need not wait for it.
	cur, err := s.Store.Account(ctx, p.AccountID)
	if err != nil {
		return nil, fmt.Errorf("account: update: %w", err)
	}
	templates, branding, err := s.checkLook(ctx, cur, patch)
	if err != nil {
		return nil, err
	}
	var out *store.Account
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		a, err := tx.Account(ctx, p.AccountID)
		if err != nil {
			return err
		}
		was := *a
		var fs failure.Fields
		if patch.Name != nil {
			if n := strings.TrimSpace(*patch.Name); n == "" || len(n) > 200 {
				fs.Add("name", "give a name of 1 to 200 characters")
			} else {
				a.Name = n
			}
		}
		if patch.Language != nil {
			if !ValidLanguage(*patch.Language) {
				fs.Add("language", "%q is not a supported language (%s)", *patch.Language, strings.Join(Languages, ", "))
			} else {
				a.Language = *patch.Language
			}
		}
		if patch.DefaultVideoProvider != nil {
			v := *patch.DefaultVideoProvider
			if v != "" && !s.videoProvider(v) {
				fs.Add("default_video_provider", "%q is not %s", v, s.VideoApps.Choices())
			} else {
				a.DefaultVideoProvider = v
			}
		}
		if patch.Invitations != nil {
			switch v := *patch.Invitations; v {
			case store.InvitationsConvene, store.InvitationsProvider:
				a.Invitations = v
			default:
				fs.Add("invitations", "%q is not %s or %s", v, store.InvitationsConvene, store.InvitationsProvider)
			}
		}
		if patch.AssistantAddress != nil {
			addr, err := s.checkAssistantAddress(ctx, tx, p.AccountID, *patch.AssistantAddress)
			if fe, ok := failure.As(err); ok && len(fe.Fields) > 0 {
				fs = append(fs, fe.Fields...)
			} else if err != nil {
				return err
			} else {
				a.AssistantAddress = addr
			}
		}
		if branding != nil {
			a.Branding = branding
		}
		if templates != nil {
			a.Templates = templates
		}
		if err := fs.Err(); err != nil {
			return err
		}
		out = a
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		return s.auditAccount(ctx, tx, p, &was, a, templates, branding)
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("account: update: %w", err)
	}
	return out, nil
}

// auditAccount records what a change of the account's settings changed.
func (s *Service) auditAccount(ctx context.Context, tx store.Store, p Principal, was, now *store.Account, templates, branding []byte) error {
	for _, c := range []struct {
		action   string
		from, to string
	}{
		{AuditAccountName, was.Name, now.Name},
		{AuditAccountLanguage, was.Language, now.Language},
		{AuditDefaultProvider, was.DefaultVideoProvider, now.DefaultVideoProvider},
		{AuditAssistantAddress, was.AssistantAddress, now.AssistantAddress},
		{AuditInvitations, was.Invitations, now.Invitations},
	} {
		if c.from != c.to {
			if err := s.audit(ctx, tx, p, c.action, now.Name, Detail{"from": c.from, "to": c.to}); err != nil {
				return err
			}
		}
	}
	parts, fields := lookChanges(was.Templates, was.Branding, templates, branding)
	if len(parts) > 0 {
		if err := s.audit(ctx, tx, p, AuditTemplates, now.Name, Detail{"parts": parts}); err != nil {
			return err
		}
	}
	if len(fields) > 0 {
		if err := s.audit(ctx, tx, p, AuditBranding, now.Name, Detail{"fields": fields}); err != nil {
			return err
		}
	}
	return nil
}
