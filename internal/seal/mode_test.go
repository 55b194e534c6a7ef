package seal

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestKeyFileIsPrivate: with umask 022 in a pre-existing 0755 directory,
// a generated key is 0600, and a key found 0644 is made 0600.
func TestKeyFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	key, err := LoadKey("", dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, KeyFile)
	mode := func() os.FileMode {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	if m := mode(); m != 0o600 {
		t.Errorf("generated key: mode %o, want 600", m)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := LoadKey("", dir)
	if err != nil || string(again) != string(key) {
		t.Fatalf("reload: %v", err)
	}
	if m := mode(); m != 0o600 {
		t.Errorf("key found 0644: mode %o after loading, want 600", m)
	}
}
