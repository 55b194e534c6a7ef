package store_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/convene/convene/internal/testenv"
)

// TestLibcMatchesSQLite: modernc.org/sqlite is built for one version of
// modernc.org/libc; another module can drag libc elsewhere and break SQLite
// at run time (STYLE.md). The build must use the version sqlite's go.mod
// names.
func TestLibcMatchesSQLite(t *testing.T) {
	goCmd := testenv.Command(t, "go")
	out, err := exec.Command(goCmd, "list", "-m", "-json", "modernc.org/sqlite", "modernc.org/libc").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	mods := map[string]struct{ Version, GoMod string }{}
	for dec.More() {
		var m struct{ Path, Version, GoMod string }
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		mods[m.Path] = struct{ Version, GoMod string }{m.Version, m.GoMod}
	}
	gomod, err := os.ReadFile(mods["modernc.org/sqlite"].GoMod)
	if err != nil {
		t.Fatalf("sqlite's go.mod: %v", err)
	}
	want := regexp.MustCompile(`modernc\.org/libc (v[^\s]+)`).FindSubmatch(gomod)
	if want == nil {
		t.Fatal("sqlite's go.mod names no libc")
	}
	if got := mods["modernc.org/libc"].Version; got != string(want[1]) {
		t.Errorf("modernc.org/libc is %s, but modernc.org/sqlite %s is built for %s", got, mods["modernc.org/sqlite"].Version, want[1])
	}
}
