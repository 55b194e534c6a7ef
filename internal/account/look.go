package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/invite"
	"github.com/convene/convene/internal/store"
)

// An account's look: its invitation templates and branding, which the
// invite package checks (invite.ValidateTemplates, with its budgets) and
// renders. They are changed through UpdateAccount, checked together as
// they will be used (the stored half with the new one), and previewed
// with PreviewInvitation.

// DecodeLook decodes an account's stored templates and branding (store.Account
// Templates and Branding); empty ones are the defaults.
func DecodeLook(templates, branding []byte) (invite.Templates, invite.Branding, error) {
	var t invite.Templates
	var b invite.Branding
	if len(templates) > 2 {
		if err := json.Unmarshal(templates, &t); err != nil {
			return t, b, fmt.Errorf("account: stored templates: %w", err)
		}
	}
	if len(branding) > 2 {
		if err := json.Unmarshal(branding, &b); err != nil {
			return t, b, fmt.Errorf("account: stored branding: %w", err)
		}
	}
	return t, b, nil
}

// Look returns the admin's account's templates and branding.
func (s *Service) Look(ctx context.Context, p Principal) (invite.Templates, invite.Branding, error) {
	a, err := s.AccountForAdmin(ctx, p)
	if err != nil {
		return invite.Templates{}, invite.Branding{}, err
	}
	return DecodeLook(a.Templates, a.Branding)
}

// LookFailure turns the invite package's template problems into an
// Invalid failure naming each field ("invitation.html",
// "branding.accent_color") and, when known, the template's line; other
// errors come back as they are.
func LookFailure(err error) error {
	var ve *invite.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fe := &failure.Error{Kind: failure.Invalid, Detail: "the invitation templates or branding cannot be used: " + err.Error()}
	for _, p := range ve.Problems {
		msg := p.Message
		if p.Line > 0 {
			msg = fmt.Sprintf("line %d: %s", p.Line, p.Message)
		}
		fe.Fields = append(fe.Fields, failure.FieldError{Field: p.Field, Message: msg})
	}
	return fe
}

// checkLook merges a patch's templates and branding with the stored ones,
// validates the result, and returns what to store (nil when the patch
// leaves both alone).
func (s *Service) checkLook(ctx context.Context, a *store.Account, patch AccountPatch) (templates, branding []byte, err error) {
	if patch.Invitation == nil && patch.Branding == nil {
		return nil, nil, nil
	}
	t, b, err := DecodeLook(a.Templates, a.Branding)
	if err != nil {
		return nil, nil, err
	}
	if patch.Invitation != nil {
		t = *patch.Invitation
	}
	if patch.Branding != nil {
		b = *patch.Branding
	}
	if err := invite.ValidateTemplates(ctx, t, b); err != nil {
		if ctx.Err() != nil {
			return nil, nil, failure.New(failure.Unavailable, "the request ended before the templates were checked").Wrap(err)
		}
		return nil, nil, LookFailure(err)
	}
	if patch.Invitation != nil {
		templates, _ = json.Marshal(t)
	}
	if patch.Branding != nil {
		branding, _ = json.Marshal(b)
	}
	return templates, branding, nil
}

// lookChanges names what a change of templates or branding changed, for
// the audit log: the parts of the templates, the fields of the branding.
func lookChanges(oldT, oldB, newT, newB []byte) (parts, fields []string) {
	ot, ob, _ := DecodeLook(oldT, oldB)
	nt, nb, _ := DecodeLook(newT, newB)
	if newT != nil {
		for _, c := range []struct {
			name     string
			old, new string
		}{{"subject", ot.Subject, nt.Subject}, {"text", ot.Text, nt.Text}, {"html", ot.HTML, nt.HTML}} {
			if c.old != c.new {
				parts = append(parts, c.name)
			}
		}
	}
	if newB != nil {
		for _, c := range []struct {
			name     string
			old, new string
		}{{"name", ob.Name, nb.Name}, {"logo_url", ob.LogoURL, nb.LogoURL}, {"accent_color", ob.AccentColor, nb.AccentColor}, {"footer", ob.Footer, nb.Footer}} {
			if c.old != c.new {
				fields = append(fields, c.name)
			}
		}
	}
	return parts, fields
}

// PreviewInvitation renders an invitation for a sample meeting with the
// templates and branding given, the account's where nil: kind "request"
// (the default), "update" or "cancel", in lang (the account's language by
// default). Admins only, like the templates it previews: rendering is
// budgeted (invite/budget.go), but a member has no business spending it.
func (s *Service) PreviewInvitation(ctx context.Context, p Principal, t *invite.Templates, b *invite.Branding, kind, lang string) (invite.Rendered, error) {
	cur, err := s.AccountForAdmin(ctx, p)
	if err != nil {
		return invite.Rendered{}, err
	}
	ct, cb, err := DecodeLook(cur.Templates, cur.Branding)
	if err != nil {
		return invite.Rendered{}, err
	}
	if t != nil {
		ct = *t
	}
	if b != nil {
		cb = *b
	}
	k := invite.Kind(kind)
	switch k {
	case "":
		k = invite.KindRequest
	case invite.KindRequest, invite.KindUpdate, invite.KindCancel:
	default:
		return invite.Rendered{}, failure.Field("kind", "%q is not request, update or cancel", kind)
	}
	if lang == "" {
		lang = cur.Language
	}
	if !ValidLanguage(lang) {
		return invite.Rendered{}, failure.Field("language", "%q is not en or fr", lang)
	}
	out, err := invite.Preview(ctx, ct, cb, k, lang)
	if err != nil {
		if ctx.Err() != nil {
			return invite.Rendered{}, failure.New(failure.Unavailable, "the request ended before the preview was rendered").Wrap(err)
		}
		return invite.Rendered{}, LookFailure(err)
	}
	return out, nil
}
