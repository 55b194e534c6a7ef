package understand

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// dateFields are the fields of the contract chrono-node can give.
type dateFields struct {
	ID        string          `json:"id"`
	StartTime *string         `json:"start_time"`
	EndTime   *string         `json:"end_time"`
	Window    *ContractWindow `json:"window"`
}

// sameInstant compares two RFC 3339 times as instants (chrono reports times
// named in another zone in the request's zone: the same instant counts).
func sameInstant(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta, err1 := time.Parse(time.RFC3339, *a)
	tb, err2 := time.Parse(time.RFC3339, *b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}

func sameWindow(a, b *ContractWindow) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return sameInstant(&a.From, &b.From) && sameInstant(&a.To, &b.To)
}

// TestChronoComparison runs chrono-node (npm, testdata/chrono, installed
// by scripts/test with npm ci) on the corpus and scores it next to Convene
// on the date and time fields only: start_time, end_time and window.
// chrono has no windows for parts of the day and no recurrences, so a case
// counts as right when those three fields match (compared as instants); the
// looser "start_time and end_time both match" is reported too.
func TestChronoComparison(t *testing.T) {
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "chrono"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "chrono-node", "package.json")); err != nil {
		testenv.Missing(t, "npm packages in internal/assistant/understand/testdata/chrono (npm ci)")
	}
	corpus, err := filepath.Abs(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "chrono.js", corpus)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node chrono.js: %v\n%s", err, stderr.String())
	}
	t.Log(strings.TrimSpace(stderr.String()))
	chrono := map[string]dateFields{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var f dateFields
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("chrono.js printed %q: %v", line, err)
		}
		chrono[f.ID] = f
	}
	cases := loadCorpus(t)
	if len(chrono) != len(cases) {
		t.Fatalf("chrono answered %d cases of %d", len(chrono), len(cases))
	}
	type score struct{ n, strict, startEnd, start, end, window int }
	add := func(s *score, f dateFields, want *Contract) {
		s.n++
		st, en, win := sameInstant(f.StartTime, want.StartTime), sameInstant(f.EndTime, want.EndTime), sameWindow(f.Window, want.Window)
		if st {
			s.start++
		}
		if en {
			s.end++
		}
		if win {
			s.window++
		}
		if st && en {
			s.startEnd++
		}
		if st && en && win {
			s.strict++
		}
	}
	ch, cv := map[string]*score{}, map[string]*score{}
	var chronoMisses []string
	for i := range cases {
		c := &cases[i]
		got := c.run(t)
		g := c.Lang + "/" + c.Kind
		for _, m := range []map[string]*score{ch, cv} {
			if m[g] == nil {
				m[g] = &score{}
			}
			if m["all"] == nil {
				m["all"] = &score{}
			}
		}
		f := chrono[c.ID]
		add(ch[g], f, &c.Expected)
		add(ch["all"], f, &c.Expected)
		mine := dateFields{StartTime: got.StartTime, EndTime: got.EndTime, Window: got.Window}
		add(cv[g], mine, &c.Expected)
		add(cv["all"], mine, &c.Expected)
		if !(sameInstant(f.StartTime, c.Expected.StartTime) && sameInstant(f.EndTime, c.Expected.EndTime) && sameWindow(f.Window, c.Expected.Window)) {
			chronoMisses = append(chronoMisses, c.ID)
		}
	}
	pct := func(a, n int) float64 { return 100 * float64(a) / float64(n) }
	groups := make([]string, 0, len(ch))
	for g := range ch {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	t.Logf("%-9s | %-36s | %-36s", "", "chrono-node: strict (start+end)", "Convene: strict (start+end)")
	for _, g := range groups {
		a, b := ch[g], cv[g]
		t.Logf("%-9s | %3d/%3d = %5.1f %% (%5.1f %%)          | %3d/%3d = %5.1f %% (%5.1f %%)", g,
			a.strict, a.n, pct(a.strict, a.n), pct(a.startEnd, a.n), b.strict, b.n, pct(b.strict, b.n), pct(b.startEnd, b.n))
	}
	a, b := ch["all"], cv["all"]
	t.Logf("per field, chrono-node: start_time %.1f %%, end_time %.1f %%, window %.1f %%", pct(a.start, a.n), pct(a.end, a.n), pct(a.window, a.n))
	t.Logf("per field, Convene:     start_time %.1f %%, end_time %.1f %%, window %.1f %%", pct(b.start, b.n), pct(b.end, b.n), pct(b.window, b.n))
	if testing.Verbose() {
		t.Logf("chrono-node misses: %s", strings.Join(chronoMisses, " "))
	}
	if b.strict <= a.strict {
		t.Errorf("Convene (%d) does not beat chrono-node (%d) on its own corpus's date fields", b.strict, a.strict)
	}
}
