package seal

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := make([]byte, 32)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	s1, _ := b.Seal("secret-token", "install/a/zoom/access")
	s2, _ := b.Seal("secret-token", "install/a/zoom/access")
	if s1 == s2 || strings.Contains(s1, "secret-token") || !strings.HasPrefix(s1, "v1:") {
		t.Fatalf("sealed %q %q", s1, s2)
	}
	if got, err := b.Open(s1, "install/a/zoom/access"); err != nil || got != "secret-token" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// Another place, a tampered value, another key: refused.
	if _, err := b.Open(s1, "install/b/zoom/access"); err != ErrOpen {
		t.Errorf("wrong place: %v", err)
	}
	tampered := s1[:len(s1)-2] + "AA"
	if _, err := b.Open(tampered, "install/a/zoom/access"); err != ErrOpen {
		t.Errorf("tampered: %v", err)
	}
	other, _ := New([]byte(strings.Repeat("k", 32)))
	if _, err := other.Open(s1, "install/a/zoom/access"); err != ErrOpen {
		t.Errorf("other key: %v", err)
	}
	for _, bad := range []string{"plain", "v1:!!!", "v1:AAAA"} {
		if _, err := b.Open(bad, "x"); err != ErrOpen {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
	if s, _ := b.Seal("", "x"); s != "" {
		t.Errorf("empty sealed to %q", s)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadKey("", dir)
	if err != nil || len(k1) != 32 {
		t.Fatal(k1, err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	k2, err := LoadKey("", dir)
	if err != nil || string(k1) != string(k2) {
		t.Fatal("key not kept across loads")
	}
	env := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 32)))
	k3, err := LoadKey(env, dir)
	if err != nil || string(k3) != strings.Repeat("e", 32) {
		t.Fatal("CONVENE_SECRET_KEY not used")
	}
	if _, err := LoadKey("short", dir); err == nil || !strings.Contains(err.Error(), "CONVENE_SECRET_KEY") {
		t.Errorf("bad env key: %v", err)
	}
	os.WriteFile(filepath.Join(dir, KeyFile), []byte("garbage"), 0o600)
	if _, err := LoadKey("", dir); err == nil {
		t.Error("garbage key file accepted")
	}
}
