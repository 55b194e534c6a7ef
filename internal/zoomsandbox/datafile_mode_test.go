package zoomsandbox

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDataFileIsPrivate: the sandbox's data file holds every tenant's
// tokens; it is 0600 whatever the umask, in a pre-existing 0755 directory.
func TestDataFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "zoom-sandbox.json")
	s, err := New(Options{DataFile: path, BaseURL: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("data file mode %o, want 600", m)
	}
}
