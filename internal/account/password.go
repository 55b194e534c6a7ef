package account

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Passwords for the web pages are hashed with argon2id (RFC 9106) and
// stored as PHC strings:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// (salt and hash in unpadded standard base64, as the PHC string format and
// the reference implementation write them). The parameters travel with
// the hash, so raising them later keeps old hashes working.

// PasswordParams are the costs of argon2id.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultPasswordParams are OWASP's recommended minimum for argon2id
// (19 MiB, 2 passes, 1 lane): about 25 ms on one core, and the memory
// makes guessing on GPUs expensive.
var DefaultPasswordParams = PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits of what a stored hash may ask for, so that a bad row cannot make a
// sign-in cost unbounded memory or time.
const (
	maxHashMemory  = 256 * 1024 // KiB
	maxHashTime    = 16
	maxHashThreads = 16
)

// Password lengths, in characters (runes) and bytes. NIST SP 800-63B §5.1.1
// asks for at least 8 and for long passphrases to be allowed; the upper
// bound keeps a request's work bounded.
const (
	MinPasswordLength = 10
	MaxPasswordBytes  = 1024
)

// Errors about a new password, wrapped in a failure on the "password"
// field, for front ends that word them in the user's language.
var (
	ErrPasswordTooShort = errors.New("password too short")
	ErrPasswordTooLong  = errors.New("password too long")
)

// checkNewPassword applies the rules for a new password.
func checkNewPassword(pw string) error {
	switch {
	case len(pw) > MaxPasswordBytes:
		return failureField("password", ErrPasswordTooLong, "use at most %d bytes", MaxPasswordBytes)
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return failureField("password", ErrPasswordTooShort, "use at least %d characters", MinPasswordLength)
	}
	return nil
}

// HashPassword returns the PHC string of pw under params, with a salt read
// from rnd.
func HashPassword(pw string, params PasswordParams, rnd io.Reader) (string, error) {
	salt := make([]byte, params.SaltLen)
	if _, err := io.ReadFull(rnd, salt); err != nil {
		return "", fmt.Errorf("account: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, params.Time, params.Memory, params.Threads, params.KeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, params.Memory, params.Time, params.Threads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// PasswordHash is a parsed PHC string of argon2id.
type PasswordHash struct {
	Params PasswordParams
	Salt   []byte
	Key    []byte
}

// ErrBadHash: a stored password hash is not an argon2id PHC string Convene
// accepts.
var ErrBadHash = errors.New("account: not an argon2id PHC string")

// ParsePasswordHash parses a PHC string written by HashPassword, within
// the bounds above.
func ParsePasswordHash(s string) (*PasswordHash, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, fmt.Errorf("%w: version %q", ErrBadHash, parts[2])
	}
	var h PasswordHash
	seen := map[string]bool{}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return nil, fmt.Errorf("%w: parameters %q", ErrBadHash, parts[3])
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 || v != strconv.FormatUint(n, 10) {
			return nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
		switch k {
		case "m":
			h.Params.Memory = uint32(n)
		case "t":
			h.Params.Time = uint32(n)
		case "p":
			if n > maxHashThreads {
				return nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
			}
			h.Params.Threads = uint8(n)
		default:
			return nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
	}
	p := h.Params
	// argon2 needs at least 8 KiB per lane.
	if len(seen) != 3 || p.Memory > maxHashMemory || p.Memory < 8*uint32(p.Threads) || p.Time > maxHashTime {
		return nil, fmt.Errorf("%w: parameters %q out of bounds", ErrBadHash, parts[3])
	}
	enc := base64.RawStdEncoding.Strict()
	var err error
	if h.Salt, err = enc.DecodeString(parts[4]); err != nil || len(h.Salt) < 8 || len(h.Salt) > 64 {
		return nil, fmt.Errorf("%w: salt", ErrBadHash)
	}
	if h.Key, err = enc.DecodeString(parts[5]); err != nil || len(h.Key) < 16 || len(h.Key) > 64 {
		return nil, fmt.Errorf("%w: hash", ErrBadHash)
	}
	h.Params.SaltLen, h.Params.KeyLen = uint32(len(h.Salt)), uint32(len(h.Key))
	return &h, nil
}

// Matches reports, in constant time, whether pw is the password of h.
func (h *PasswordHash) Matches(pw string) bool {
	key := argon2.IDKey([]byte(pw), h.Salt, h.Params.Time, h.Params.Memory, h.Params.Threads, h.Params.KeyLen)
	return subtle.ConstantTimeCompare(key, h.Key) == 1
}

// hashSlots bounds the argon2 computations running at once: each takes
// Memory KiB (19 MiB by default), so a burst of sign-ins cannot exhaust
// memory; the others wait their turn or their context's end.
const hashSlots = 4

func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	s.hashOnce.Do(func() { s.hashSem = make(chan struct{}, hashSlots) })
	select {
	case s.hashSem <- struct{}{}:
		return func() { <-s.hashSem }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("account: waiting to hash a password: %w", ctx.Err())
	}
}

func (s *Service) passwordParams() PasswordParams {
	if s.Web.PasswordParams != (PasswordParams{}) {
		return s.Web.PasswordParams
	}
	return DefaultPasswordParams
}

// hashPassword hashes a new password within the service's bound.
func (s *Service) hashPassword(ctx context.Context, pw string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(pw, s.passwordParams(), s.Rand)
}

// checkPassword reports whether pw matches the stored hash encoded; with
// encoded "" (no such user, or no password) it still spends the time of a
// hash, so that the answer's delay does not tell which addresses exist.
func (s *Service) checkPassword(ctx context.Context, encoded, pw string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	if encoded == "" {
		s.dummyOnce.Do(func() {
			s.dummyHash, _ = HashPassword("convene-dummy-password", s.passwordParams(), s.Rand)
		})
		if h, err := ParsePasswordHash(s.dummyHash); err == nil {
			h.Matches(pw)
		}
		return false, nil
	}
	h, err := ParsePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	return h.Matches(pw), nil
}
