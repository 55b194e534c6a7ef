// Package testenv finds the real peers that Convene's tests run against
// (PostgreSQL, Radicale, python3 modules, Node packages, Chromium) and decides
// what happens when one is missing: under CI=true the test fails, elsewhere it
// is skipped with a message saying what to install.
//
// It is imported only by tests.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI=true, where nothing may be
// skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// SkipShort skips a long test under go test -short, except under
// CI=true, where nothing may be skipped.
func SkipShort(t testing.TB, what string) {
	t.Helper()
	if testing.Short() && !InCI() {
		t.Skipf("short: %s", what)
	}
}

// Missing ends the test because a peer it needs is missing: a failure under
// CI=true, a skip elsewhere.
func Missing(t testing.TB, what string) {
	t.Helper()
	if InCI() {
		t.Fatalf("required for this test and missing (CI=true): %s; scripts/test installs it", what)
	}
	t.Skipf("skipped: %s is missing; scripts/test installs it", what)
}

// Command returns the path of the executable name (looked up in PATH, then
// /usr/bin and /usr/sbin), or ends the test through Missing.
func Command(t testing.TB, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	Missing(t, "command "+name)
	return ""
}

// Python returns Debian's python3 (the one apt-get installs modules for) after
// checking that it can import every module named, or ends the test through
// Missing.
func Python(t testing.TB, modules ...string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		Missing(t, "Debian python3 at "+py)
		return ""
	}
	if len(modules) > 0 {
		code := "import " + strings.Join(modules, ", ")
		if out, err := exec.Command(py, "-c", code).CombinedOutput(); err != nil {
			Missing(t, "python3 modules "+strings.Join(modules, ", ")+": "+strings.TrimSpace(string(out)))
			return ""
		}
	}
	return py
}

// RepoRoot returns the root of the Convene source tree.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testenv: cannot find the source tree")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ZoomSpec returns the path of Zoom's published OpenAPI document for the
// Meeting API, kept in the repository's testdata/zoom so that a clone alone
// runs the conformance tests.
func ZoomSpec(t testing.TB) string {
	t.Helper()
	p := filepath.Join(RepoRoot(t), "testdata", "zoom", "ZoomMeetingAPISpec.json")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("Zoom's OpenAPI document is part of the repository and is missing: %v", err)
	}
	return p
}

// PostgresURL returns CONVENE_TEST_DATABASE_URL, the PostgreSQL server the
// tests may use, or ends the test through Missing.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("CONVENE_TEST_DATABASE_URL")
	if u == "" {
		Missing(t, "PostgreSQL (CONVENE_TEST_DATABASE_URL)")
	}
	return u
}
