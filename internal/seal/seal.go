// Package seal encrypts secrets before they are stored (OAuth access and
// refresh tokens, PKCE verifiers) with AES-256-GCM under the data key, and
// binds each sealed value to where it is stored (associated data), so a
// value copied into another row does not open.
//
// The data key comes from CONVENE_SECRET_KEY (base64 of 32 bytes) or from
// the file secret.key in the data directory, generated on first start.
// This package imports nothing of Convene.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// KeyFile is the name of the generated key in the data directory.
const KeyFile = "secret.key"

// prefix marks the format of a sealed value, so the format can change.
const prefix = "v1:"

// Box seals and opens values under one key.
type Box struct {
	aead cipher.AEAD
	rand io.Reader
}

// ErrOpen: the value was not sealed by this key for this place.
var ErrOpen = errors.New("seal: cannot open: wrong key, tampered value or wrong place")

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("seal: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead, rand: rand.Reader}, nil
}

// LoadKey returns the data key: decoded from encoded when it is set
// (CONVENE_SECRET_KEY), else read from dataDir/secret.key, which is created
// with a new random key (mode 0600) when missing and made 0600 when found
// readable by others.
func LoadKey(encoded, dataDir string) ([]byte, error) {
	if encoded != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil || len(key) != 32 {
			return nil, errors.New("CONVENE_SECRET_KEY: must be the base64 of 32 bytes (openssl rand -base64 32)")
		}
		return key, nil
	}
	path := filepath.Join(dataDir, KeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		// A key an earlier version or a restore left readable by others
		// is made the owner's only (config.EnsureDataDir notes what it
		// cannot change).
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			os.Chmod(path, 0o600)
		}
		key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s: not a base64 32-byte key; restore it from a backup (sealed tokens need it)", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, key); err != nil {
		return nil, fmt.Errorf("seal: random: %w", err)
	}
	// O_EXCL: two processes starting at once keep one key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return LoadKey("", dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return key, f.Close()
}

// Seal encrypts plaintext for the place named by where (e.g.
// "install/acc_x/zoom/refresh") and returns printable text. The empty
// string seals to the empty string.
func (b *Box) Seal(plaintext, where string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := io.ReadFull(b.rand, nonce); err != nil {
		return "", fmt.Errorf("seal: random: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(where))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for where.
func (b *Box) Open(sealed, where string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !strings.HasPrefix(sealed, prefix) {
		return "", ErrOpen
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(prefix):])
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", ErrOpen
	}
	n := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(where))
	if err != nil {
		return "", ErrOpen
	}
	return string(pt), nil
}
