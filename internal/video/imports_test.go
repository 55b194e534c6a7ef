package video

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/convene/convene/internal/testenv"
)

const module = "github.com/convene/convene"

// server registers each app (one line per provider): it, and what runs it
// (cmd/convene, bench, test support that starts it in process), may depend
// on providers' packages. None of those can be imported by the core, which
// the server imports.
const server = module + "/internal/server"

// TestProvidersStayInTheirFolders: no package of Convene but the server
// and what runs it imports a provider's package (a folder under
// internal/video), directly or through another. Booking, the API, the
// pages, the marketplace, accounts and the assistant know a provider only
// by its entry in the catalog (Registry), so adding one touches its folder
// and its registration line (README.md). Test files may wire real
// providers into their harnesses.
func TestProvidersStayInTheirFolders(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "list", "-e", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...")
	cmd.Dir = testenv.RepoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	var providers []string
	for p := range deps {
		if strings.HasPrefix(p, module+"/internal/video/") {
			providers = append(providers, p)
		}
	}
	for _, p := range []string{"zoom", "jitsi"} {
		if !slices.Contains(providers, module+"/internal/video/"+p) {
			t.Fatalf("go list did not list the provider %s: %v", p, providers)
		}
	}
	provider := func(p string) bool {
		return slices.ContainsFunc(providers, func(pv string) bool { return p == pv || strings.HasPrefix(p, pv+"/") })
	}
	// The packages that must know providers by their entry only: listed,
	// so that the check cannot pass on an empty listing.
	for _, p := range []string{"internal/booking", "internal/web", "internal/web/pages", "internal/apps", "internal/account", "internal/assistant", "internal/video"} {
		if _, ok := deps[module+"/"+p]; !ok {
			t.Fatalf("go list did not list %s", p)
		}
	}
	for pkg, ds := range deps {
		if provider(pkg) || pkg == server || slices.Contains(ds, server) {
			continue
		}
		for _, d := range ds {
			if provider(d) {
				t.Errorf("%s imports the provider %s: it must go through the catalog (video.Registry)", strings.TrimPrefix(pkg, module+"/"), strings.TrimPrefix(d, module+"/"))
			}
		}
	}
}
