package understand

import (
	goparser "go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPure keeps the package pure (doc.go): no other Convene package (so no
// front end and no store), nothing that reaches the network, a database or
// the process's clock.
func TestPure(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := goparser.ParseFile(gotoken.NewFileSet(), f, nil, goparser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			switch {
			case strings.HasPrefix(path, "github.com/convene/convene/"):
				t.Errorf("%s imports %s: understand imports no other Convene package", f, path)
			case path == "net" || strings.HasPrefix(path, "net/http") || path == "database/sql" || path == "os" || path == "os/exec" || path == "regexp":
				t.Errorf("%s imports %s: understand is pure (and has no regular expressions in its hot path)", f, path)
			}
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "time.Now()") {
			t.Errorf("%s reads the clock: Context.Now is injected", f)
		}
	}
}
