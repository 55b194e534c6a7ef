package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// Signing in to the web pages. API tokens stay the credentials of the API
// and CalDAV; a web session authenticates pages only.
//
//   - A session is opened by a password (argon2id, password.go), by single
//     sign-on (a verified e-mail address from an OpenID provider, matched
//     to an existing user: nobody signs up this way), at setup, or by a
//     password reset.
//   - Its secret (256 random bits) is the cookie's value and is shown
//     nowhere else; only its SHA-256 is stored. A sign-in replaces the
//     browser's previous session (rotation).
//   - It ends after WebOptions.IdleTimeout without use, WebOptions.MaxAge
//     after sign-in, at sign-out, when the user signs out everywhere or
//     resets their password, and when an admin disables or removes the
//     user (their sessions are deleted, and a session of an inactive user
//     is refused anyway).
//   - A password reset link is signed (HMAC-SHA256 with a key derived from
//     the data key), expires after WebOptions.ResetTTL and works once: it
//     is bound to the password it replaces, so setting a password voids
//     every link sent before.

// WebOptions configure signing in to the web pages; zero values take the
// defaults.
type WebOptions struct {
	// IdleTimeout ends a session unused for this long (default 12 h).
	IdleTimeout time.Duration
	// MaxAge ends a session this long after sign-in however it is used
	// (default 7 days).
	MaxAge time.Duration
	// MaxSessions bounds the sessions of one user; past it, the oldest
	// end (default 20).
	MaxSessions int
	// ResetKey signs password reset links; empty: no resets.
	ResetKey []byte
	// ResetTTL is how long a reset link works (default 1 h).
	ResetTTL time.Duration
	// ResetURL turns a reset token into the link mailed to the user.
	ResetURL func(token string) string
	// Mailer stores the reset mail in the outbox; nil: no resets.
	Mailer Mailer
	// PasswordParams are argon2id's costs for new hashes (zero:
	// DefaultPasswordParams).
	PasswordParams PasswordParams
}

func (o WebOptions) idle() time.Duration   { return orDuration(o.IdleTimeout, 12*time.Hour) }
func (o WebOptions) maxAge() time.Duration { return orDuration(o.MaxAge, 7*24*time.Hour) }
func (o WebOptions) resetTTL() time.Duration {
	return orDuration(o.ResetTTL, time.Hour)
}
func (o WebOptions) maxSessions() int {
	if o.MaxSessions > 0 {
		return o.MaxSessions
	}
	return 20
}

func orDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Mailer stores a mail from Convene to one of an account's users in the
// outbox (the booking service does it, with the invitations).
type Mailer interface {
	SendAccountMail(ctx context.Context, m AccountMail) error
}

// AccountMail is a mail about a user's access to Convene.
type AccountMail struct {
	Kind      string // MailPasswordReset
	AccountID string
	To        store.User
	// DedupeKey makes the outbox keep one mail per key, ever.
	DedupeKey string
	// Link is what the mail asks the user to open; Expires is when it
	// stops working.
	Link    string
	Expires time.Time
}

// MailPasswordReset is the kind of the mail with a password reset link.
const MailPasswordReset = "password-reset"

// Session methods: how a user signed in.
const (
	SignedInByPassword = "password"
	SignedInByOIDC     = "oidc"
	SignedInAtSetup    = "setup"
	SignedInByReset    = "reset"
)

// sessionPrefix marks session secrets, so that secret scanners know them.
const sessionPrefix = "cvs_"

// WebSession is a signed-in browser.
type WebSession struct {
	Principal Principal // with SessionID
	User      *store.User
	Session   *store.Session
}

// failureField is failure.Field with a cause a front end can test for.
func failureField(field string, cause error, format string, args ...any) error {
	return failure.Field(field, format, args...).Wrap(cause)
}

// errSignIn is the one answer to a wrong address or password: it does not
// tell which was wrong.
func errSignIn() error {
	return failure.New(failure.Unauthenticated, "wrong e-mail address or password")
}

// ErrUserDisabled is the cause of the failure answered to a disabled user
// who signs in with the right credentials.
var ErrUserDisabled = errors.New("account: user disabled")

// SignIn checks an e-mail address and password and opens a session. The
// browser's previous session (its secret, if any) ends: a sign-in never
// keeps a session id an attacker may have planted.
func (s *Service) SignIn(ctx context.Context, email, password, previous string) (*WebSession, string, error) {
	var u *store.User
	encoded := ""
	if norm, err := NormalizeEmail(email); err == nil && len(password) <= MaxPasswordBytes {
		found, err := s.Store.FindUserByEmail(ctx, norm)
		switch {
		case err == nil:
			u = found
			h, _, err := s.Store.UserPassword(ctx, u.AccountID, u.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, "", fmt.Errorf("account: sign in: %w", err)
			}
			encoded = h
		case !errors.Is(err, store.ErrNotFound):
			return nil, "", fmt.Errorf("account: sign in: %w", err)
		}
	}
	ok, err := s.checkPassword(ctx, encoded, password)
	if err != nil {
		if errors.Is(err, ErrBadHash) {
			return nil, "", fmt.Errorf("account: sign in: stored hash of %s: %w", u.ID, err)
		}
		return nil, "", err
	}
	if !ok || u == nil {
		return nil, "", errSignIn()
	}
	if !u.Active() {
		return nil, "", failure.New(failure.Forbidden, "this user is disabled; ask an admin of the account").Wrap(ErrUserDisabled)
	}
	return s.openSession(ctx, u, SignedInByPassword, previous)
}

// SignInVerifiedEmail opens a session for the active user whose address is
// email, which an identity provider verified (single sign-on). There is no
// sign-up: an address that is no user's is refused.
func (s *Service) SignInVerifiedEmail(ctx context.Context, email, previous string) (*WebSession, string, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return nil, "", failure.New(failure.Unauthenticated, "the identity provider gave no usable e-mail address")
	}
	u, err := s.Store.FindUserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", failure.New(failure.Forbidden, "%s is not a user of Convene; ask an admin of your account to add you", norm)
	}
	if err != nil {
		return nil, "", fmt.Errorf("account: single sign-on: %w", err)
	}
	if !u.Active() {
		return nil, "", failure.New(failure.Forbidden, "this user is disabled; ask an admin of the account").Wrap(ErrUserDisabled)
	}
	return s.openSession(ctx, u, SignedInByOIDC, previous)
}

// openSession starts a session for u and returns it with its secret, after
// ending the previous one.
func (s *Service) openSession(ctx context.Context, u *store.User, method, previous string) (*WebSession, string, error) {
	if previous != "" {
		if err := s.Store.DeleteSession(ctx, HashToken(previous)); err != nil {
			return nil, "", fmt.Errorf("account: end previous session: %w", err)
		}
	}
	var ws *WebSession
	var secret string
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		var err error
		ws, secret, err = s.startSession(ctx, tx, u, method)
		return err
	})
	if err != nil {
		return nil, "", fmt.Errorf("account: open session: %w", err)
	}
	return ws, secret, nil
}

// startSession writes a new session of u in st and prunes the ended ones.
func (s *Service) startSession(ctx context.Context, st store.Store, u *store.User, method string) (*WebSession, string, error) {
	var b [32]byte
	if _, err := io.ReadFull(s.Rand, b[:]); err != nil {
		return nil, "", fmt.Errorf("account: random: %w", err)
	}
	secret := sessionPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.Now().UTC()
	sess := &store.Session{IDHash: HashToken(secret), AccountID: u.AccountID, UserID: u.ID, Method: method,
		Created: now, Seen: now, Expires: now.Add(s.Web.maxAge())}
	if _, err := st.PruneSessions(ctx, now, now.Add(-s.Web.idle())); err != nil {
		return nil, "", err
	}
	if err := st.CreateSession(ctx, sess); err != nil {
		return nil, "", err
	}
	if err := st.TrimUserSessions(ctx, u.AccountID, u.ID, s.Web.maxSessions()); err != nil {
		return nil, "", err
	}
	return &WebSession{Principal: principalOf(u, sess), User: u, Session: sess}, secret, nil
}

func principalOf(u *store.User, sess *store.Session) Principal {
	return Principal{AccountID: u.AccountID, UserID: u.ID, Email: u.Email, Role: u.Role, SessionID: sess.IDHash}
}

// errNoSession is the answer to a session secret that opens nothing.
func errNoSession(why string) error {
	return failure.New(failure.Unauthenticated, "%s; sign in again", why)
}

// Session returns the signed-in user of a session secret. A session past
// its idle timeout or its maximum age, of a disabled or removed user, or
// unknown, is refused (and deleted).
func (s *Service) Session(ctx context.Context, secret string) (*WebSession, error) {
	if !strings.HasPrefix(secret, sessionPrefix) || len(secret) > 100 {
		return nil, errNoSession("not a session")
	}
	hash := HashToken(secret)
	sess, err := s.Store.SessionByHash(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession("the session ended")
	}
	if err != nil {
		return nil, fmt.Errorf("account: session: %w", err)
	}
	now := s.Now()
	if !now.Before(sess.Expires) || now.Sub(sess.Seen) >= s.Web.idle() {
		if err := s.Store.DeleteSession(ctx, hash); err != nil {
			return nil, fmt.Errorf("account: end session: %w", err)
		}
		return nil, errNoSession("the session expired")
	}
	u, err := s.Store.User(ctx, sess.AccountID, sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession("the session's user no longer exists")
	}
	if err != nil {
		return nil, fmt.Errorf("account: session: %w", err)
	}
	if !u.Active() {
		if _, err := s.Store.DeleteUserSessions(ctx, u.AccountID, u.ID, ""); err != nil {
			return nil, fmt.Errorf("account: end sessions: %w", err)
		}
		return nil, errNoSession("the user is disabled")
	}
	if now.Sub(sess.Seen) > touchEvery {
		if err := s.Store.TouchSession(ctx, hash, now.UTC()); err != nil {
			return nil, fmt.Errorf("account: session: %w", err)
		}
		sess.Seen = now.UTC()
	}
	return &WebSession{Principal: principalOf(u, sess), User: u, Session: sess}, nil
}

// SignOut ends the session of secret (nothing if it has ended).
func (s *Service) SignOut(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	if err := s.Store.DeleteSession(ctx, HashToken(secret)); err != nil {
		return fmt.Errorf("account: sign out: %w", err)
	}
	return nil
}

// SignOutEverywhere ends every session of the principal's user, this one
// included, and returns how many there were. API tokens are not touched.
func (s *Service) SignOutEverywhere(ctx context.Context, p Principal) (int, error) {
	n, err := s.Store.DeleteUserSessions(ctx, p.AccountID, p.UserID, "")
	if err != nil {
		return 0, fmt.Errorf("account: sign out everywhere: %w", err)
	}
	return n, nil
}

// HasPassword reports whether the principal's user has a password (users
// created through the API have none until they set one).
func (s *Service) HasPassword(ctx context.Context, p Principal) (bool, error) {
	_, _, err := s.Store.UserPassword(ctx, p.AccountID, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ChangePassword replaces the principal's password after checking the
// current one (none needed when the user has no password yet). The
// user's other sessions end; this one stays.
func (s *Service) ChangePassword(ctx context.Context, p Principal, current, next string) error {
	if err := checkNewPassword(next); err != nil {
		return err
	}
	encoded, _, err := s.Store.UserPassword(ctx, p.AccountID, p.UserID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("account: change password: %w", err)
	}
	if encoded != "" {
		ok, err := s.checkPassword(ctx, encoded, current)
		if err != nil {
			return fmt.Errorf("account: change password: %w", err)
		}
		if !ok {
			return failure.Field("current_password", "this is not your current password")
		}
	}
	hash, err := s.hashPassword(ctx, next)
	if err != nil {
		return err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.SetUserPassword(ctx, p.AccountID, p.UserID, hash, s.Now().UTC()); err != nil {
			return err
		}
		// The user's other sessions end; this one stays.
		_, err := tx.DeleteUserSessions(ctx, p.AccountID, p.UserID, p.SessionID)
		return err
	})
	if err != nil {
		return fmt.Errorf("account: change password: %w", err)
	}
	return nil
}

// Password reset.

// resetContext separates reset MACs from any other use of the key.
const resetContext = "convene password reset v1"

// resetMAC signs a reset token's fields together with the password state
// it replaces.
func (s *Service) resetMAC(accountID, userID string, expires int64, pwHash string, changed time.Time) []byte {
	mac := hmac.New(sha256.New, s.Web.ResetKey)
	for _, part := range []string{resetContext, accountID, userID, strconv.FormatInt(expires, 10), pwHash, strconv.FormatInt(changed.UnixMilli(), 10)} {
		mac.Write([]byte(part))
		mac.Write([]byte{0})
	}
	return mac.Sum(nil)
}

// resetToken is a parsed reset token: ACCOUNT.USER.EXPIRES.MAC.
type resetToken struct {
	accountID, userID string
	expires           int64
	mac               []byte
}

// maxResetToken bounds the token read from a link.
const maxResetToken = 200

// ErrBadResetToken is the cause of the failure for a reset link that is
// malformed, forged, expired or already used.
var ErrBadResetToken = errors.New("account: reset link not valid")

func parseResetToken(tok string) (*resetToken, error) {
	if len(tok) > maxResetToken {
		return nil, ErrBadResetToken
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 4 {
		return nil, ErrBadResetToken
	}
	for _, id := range parts[:2] {
		if id == "" || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return nil, ErrBadResetToken
		}
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || exp <= 0 || parts[2] != strconv.FormatInt(exp, 10) {
		return nil, ErrBadResetToken
	}
	mac, err := base64.RawURLEncoding.Strict().DecodeString(parts[3])
	if err != nil || len(mac) != sha256.Size {
		return nil, ErrBadResetToken
	}
	return &resetToken{accountID: parts[0], userID: parts[1], expires: exp, mac: mac}, nil
}

// resetFailure is the one answer to any bad reset link.
func resetFailure() error {
	return failure.New(failure.Invalid, "this password reset link is not valid: it expired, was already used, or was cut; ask for a new one").Wrap(ErrBadResetToken)
}

// RequestPasswordReset mails a reset link to the active user whose address
// is email, through the outbox. An address that is no user's gets nothing
// and the same answer, so that the page does not tell who has an account.
// At most one mail per user and quarter of an hour is stored (the outbox's
// dedupe key), so the form cannot flood anyone's mailbox.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	if len(s.Web.ResetKey) == 0 || s.Web.Mailer == nil || s.Web.ResetURL == nil {
		return failure.New(failure.Unavailable, "password reset is not set up on this server")
	}
	norm, err := NormalizeEmail(email)
	if err != nil {
		return failure.Field("email", "%v", err)
	}
	u, err := s.Store.FindUserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("account: password reset: %w", err)
	}
	if !u.Active() {
		return nil
	}
	pwHash, changed, err := s.Store.UserPassword(ctx, u.AccountID, u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("account: password reset: %w", err)
	}
	now := s.Now()
	expires := now.Add(s.Web.resetTTL()).Unix()
	mac := s.resetMAC(u.AccountID, u.ID, expires, pwHash, changed)
	tok := fmt.Sprintf("%s.%s.%d.%s", u.AccountID, u.ID, expires, base64.RawURLEncoding.EncodeToString(mac))
	window := now.Unix() / int64((15 * time.Minute).Seconds())
	return s.Web.Mailer.SendAccountMail(ctx, AccountMail{
		Kind: MailPasswordReset, AccountID: u.AccountID, To: *u,
		DedupeKey: fmt.Sprintf("%s/%s/%d", MailPasswordReset, u.ID, window),
		Link:      s.Web.ResetURL(tok), Expires: time.Unix(expires, 0).UTC(),
	})
}

// CheckResetToken returns the user a reset link is for, if it still
// works.
func (s *Service) CheckResetToken(ctx context.Context, tok string) (*store.User, error) {
	u, _, err := s.checkResetToken(ctx, s.Store, tok)
	return u, err
}

func (s *Service) checkResetToken(ctx context.Context, st store.Store, tok string) (*store.User, *resetToken, error) {
	if len(s.Web.ResetKey) == 0 {
		return nil, nil, resetFailure()
	}
	rt, err := parseResetToken(tok)
	if err != nil {
		return nil, nil, resetFailure()
	}
	if s.Now().Unix() >= rt.expires {
		return nil, nil, resetFailure()
	}
	u, err := st.User(ctx, rt.accountID, rt.userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, resetFailure()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("account: password reset: %w", err)
	}
	pwHash, changed, err := st.UserPassword(ctx, u.AccountID, u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, fmt.Errorf("account: password reset: %w", err)
	}
	if !hmac.Equal(rt.mac, s.resetMAC(u.AccountID, u.ID, rt.expires, pwHash, changed)) {
		return nil, nil, resetFailure()
	}
	if !u.Active() {
		return nil, nil, failure.New(failure.Forbidden, "this user is disabled; ask an admin of the account").Wrap(ErrUserDisabled)
	}
	return u, rt, nil
}

// ResetPassword sets a new password through a reset link, ends every
// session of the user and opens a new one for this browser. The link then
// stops working: it was bound to the password it replaced.
func (s *Service) ResetPassword(ctx context.Context, tok, password, previous string) (*WebSession, string, error) {
	_, rt, err := s.checkResetToken(ctx, s.Store, tok)
	if err != nil {
		return nil, "", err
	}
	if err := checkNewPassword(password); err != nil {
		return nil, "", err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, "", err
	}
	if previous != "" {
		if err := s.Store.DeleteSession(ctx, HashToken(previous)); err != nil {
			return nil, "", fmt.Errorf("account: end previous session: %w", err)
		}
	}
	var ws *WebSession
	var secret string
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.LockKey(ctx, "password/"+rt.userID); err != nil {
			return err
		}
		// Checked again in the transaction: of two uses at once, one
		// wins and the other finds the password changed.
		u, _, err := s.checkResetToken(ctx, tx, tok)
		if err != nil {
			return err
		}
		if err := tx.SetUserPassword(ctx, u.AccountID, u.ID, hash, s.Now().UTC()); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.AccountID, u.ID, ""); err != nil {
			return err
		}
		ws, secret, err = s.startSession(ctx, tx, u, SignedInByReset)
		return err
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, "", err
		}
		return nil, "", fmt.Errorf("account: password reset: %w", err)
	}
	return ws, secret, nil
}

// SetupNeeded reports whether Convene has no account yet, so that the web
// pages offer the setup form.
func (s *Service) SetupNeeded(ctx context.Context) (bool, error) {
	done, err := s.Store.SetupClaimed(ctx)
	if err != nil {
		return false, fmt.Errorf("account: setup state: %w", err)
	}
	return !done, nil
}

// StartSetupSession opens the first session of the owner made by Setup
// with a password.
func (s *Service) StartSetupSession(ctx context.Context, res *SetupResult) (*WebSession, string, error) {
	return s.openSession(ctx, res.User, SignedInAtSetup, "")
}
