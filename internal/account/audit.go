package account

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The audit log: every admin action of an account is recorded with who did
// it, how (a page, an API token, a provider's consent), what it acted on
// and when, in the same transaction as the action itself, so that an
// action never commits without its entry or the other way round. The
// services of the core (this package and internal/apps) call Audit from
// inside their transactions; only actions that change something are
// recorded (a refused or idempotent request writes nothing).

// The actions of the audit log (store.AuditEntry.Action).
const (
	AuditAccountCreate    = "account.create"                 // setup; target: the account's name
	AuditAccountName      = "account.name"                   // detail: from, to
	AuditAccountLanguage  = "account.language"               // detail: from, to
	AuditDefaultProvider  = "account.default_video_provider" // detail: from, to
	AuditInvitations      = "account.invitations"            // detail: from, to
	AuditTemplates        = "account.templates"              // detail: parts (subject, text, html) changed
	AuditBranding         = "account.branding"               // detail: fields changed
	AuditAssistantAddress = "account.assistant_address"      // detail: from, to
	AuditDomainAdd        = "domain.add"                     // target: the domain
	AuditDomainVerify     = "domain.verify"                  // detail: verified_by
	AuditDomainRemove     = "domain.remove"
	AuditDKIMRotate       = "domain.dkim_rotate"   // a DKIM key rotation started; detail: selector
	AuditDKIMActivate     = "domain.dkim_activate" // signing switched to the new key; detail: selector, retiring
	AuditDKIMCancel       = "domain.dkim_cancel"   // a pending key abandoned, its private key deleted; detail: selector
	AuditUserCreate       = "user.create"          // target: the address; detail: role
	AuditUserRole         = "user.role"            // detail: from, to
	AuditUserDisable      = "user.disable"
	AuditUserEnable       = "user.enable"
	AuditUserRemove       = "user.remove"        // detail: meetings_cancelled, tokens_revoked
	AuditTokensRevoke     = "user.tokens_revoke" // detail: revoked
	AuditTokenRevoke      = "user.token_revoke"  // detail: token
	AuditAppPreApprove    = "app.pre_approve"    // target: the app
	AuditAppInstall       = "app.install"        // detail: domains, scopes
	AuditAppDomains       = "app.domains"        // detail: from, to
	AuditAppUninstall     = "app.uninstall"
	AuditAppConnect       = "app.connect"    // a user connected their own account (personal mode); detail: email, scopes
	AuditAppDisconnect    = "app.disconnect" // detail: revoked
	// AuditAppConnectionRevoked: an admin revoked a user's own connection
	// (personal mode); target: the user's address; detail: app, email (the
	// provider account), revoked.
	AuditAppConnectionRevoked = "app.connection_revoked"
)

// AuditActions lists every action, in the order the page explains them.
var AuditActions = []string{
	AuditAccountCreate, AuditAccountName, AuditAccountLanguage, AuditDefaultProvider, AuditInvitations, AuditTemplates, AuditBranding,
	AuditAssistantAddress, AuditDomainAdd, AuditDomainVerify, AuditDomainRemove, AuditDKIMRotate, AuditDKIMActivate, AuditDKIMCancel, AuditUserCreate, AuditUserRole,
	AuditUserDisable, AuditUserEnable, AuditUserRemove, AuditTokensRevoke, AuditTokenRevoke, AuditAppPreApprove,
	AuditAppInstall, AuditAppDomains, AuditAppUninstall, AuditAppConnect, AuditAppDisconnect, AuditAppConnectionRevoked,
}

// How an action came (store.AuditEntry.Via).
const (
	ViaAPI      = "api"      // an API token
	ViaWeb      = "web"      // a web page, with a session
	ViaOAuth    = "oauth"    // the provider's consent completing an install the actor started
	ViaOperator = "operator" // the operator token
)

// Actor is who did an audited action.
type Actor struct {
	UserID, Email string
	Via           string
}

// ActorOf is the actor of a request made by p: through a page when p came
// with a web session, else through the API.
func ActorOf(p Principal) Actor {
	via := ViaAPI
	if p.SessionID != "" {
		via = ViaWeb
	}
	return Actor{UserID: p.UserID, Email: p.Email, Via: via}
}

// Detail is the particulars of an audited action; it is stored as a JSON
// object.
type Detail map[string]any

// maxAuditDetail bounds the stored detail: the actions' particulars are a
// few names and numbers.
const maxAuditDetail = 4 << 10

// Audit records an action of account accountID by a in the audit log,
// through tx: call it inside the transaction of the action.
func (s *Service) Audit(ctx context.Context, tx store.Store, accountID string, a Actor, action, target string, detail Detail) error {
	e := &store.AuditEntry{AccountID: accountID, At: s.Now().UTC(), ActorID: a.UserID, ActorEmail: a.Email, Via: a.Via,
		Action: action, Target: target}
	if len(detail) > 0 {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("account: audit %s: %w", action, err)
		}
		if len(b) > maxAuditDetail {
			b, _ = json.Marshal(Detail{"truncated": true})
		}
		e.Detail = b
	}
	if err := tx.AddAudit(ctx, e); err != nil {
		return fmt.Errorf("account: audit %s: %w", action, err)
	}
	return nil
}

// audit records an action of principal p in its account.
func (s *Service) audit(ctx context.Context, tx store.Store, p Principal, action, target string, detail Detail) error {
	return s.Audit(ctx, tx, p.AccountID, ActorOf(p), action, target, detail)
}

// MaxAuditPage is the most entries AuditLog returns at once.
const MaxAuditPage = 200

// AuditLog returns the audit log of the admin's account, newest first: at
// most limit entries (1 to MaxAuditPage; 0 means 50), written before the
// entry before when it is above 0.
func (s *Service) AuditLog(ctx context.Context, p Principal, before int64, limit int) ([]store.AuditEntry, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > MaxAuditPage:
		return nil, failure.Field("limit", "use 1 to %d", MaxAuditPage)
	}
	if before < 0 {
		before = 0
	}
	out, err := s.Store.AuditEntries(ctx, p.AccountID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("account: audit log: %w", err)
	}
	return out, nil
}
