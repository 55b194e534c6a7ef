// Package chrometest drives Debian's Chromium (/usr/bin/chromium, headless)
// through chromedp for the tests of the web pages: it opens pages, fills
// and submits forms the way a person does, takes screenshots (light and
// dark) kept as test artifacts, measures what a page weighs, and checks
// every page with axe-core, failing the test on any serious or critical
// accessibility violation.
//
// Screenshots go to $CONVENE_ARTIFACTS/<test>/ (by default
// $TMPDIR/convene-artifacts/<test>/), which the test prints; with the
// test binary's -update flag (or CONVENE_UPDATE_SCREENSHOTS=1) they are
// also copied to the calling package's testdata/screenshots/, where the
// repository keeps them.
//
// axe-core comes from npm: testdata/axe/package-lock.json in this package,
// installed by `npm ci` (scripts/test does it). A missing Chromium or
// axe-core fails the test under CI=true (internal/testenv) and skips it
// elsewhere.
//
// It is imported only by tests.
package chrometest

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/convene/convene/internal/testenv"
)

// ChromiumPath is Debian's Chromium.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium with one tab.
type Browser struct {
	t         testing.TB
	ctx       context.Context
	artifacts string
	// Timeout bounds each step (default 30 s).
	Timeout time.Duration

	mu    sync.Mutex
	shots []string
}

// Start launches Chromium with a fresh profile and stops it when the test
// ends. The flags keep it from calling anywhere on its own (background
// networking, component updates, sync) and let it run as root in a
// container (no sandbox).
func Start(t testing.TB) *Browser {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		testenv.Missing(t, "Debian's Chromium at "+ChromiumPath+" (apt-get install chromium)")
	}
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1024, 800),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("lang", "en-US"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &Browser{t: t, ctx: ctx, Timeout: 30 * time.Second, artifacts: artifactsDir(t)}
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("chrometest: start Chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		if len(b.shots) > 0 {
			t.Logf("screenshots in %s", b.artifacts)
		}
	})
	return b
}

// cleared are the artifact directories emptied by this test binary.
var cleared sync.Map

// artifactsDir is where the test's screenshots go.
func artifactsDir(t testing.TB) string {
	root := os.Getenv("CONVENE_ARTIFACTS")
	if root == "" {
		root = filepath.Join(os.TempDir(), "convene-artifacts")
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	dir := filepath.Join(root, name)
	// Emptied once per run: a second browser of the same test keeps the
	// first one's screenshots.
	if _, seen := cleared.LoadOrStore(dir, true); !seen {
		os.RemoveAll(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("chrometest: artifacts: %v", err)
	}
	return dir
}

// Do runs steps in the tab, each bounded by Timeout, and fails the test on
// the first error, saying which step of which page failed.
func (b *Browser) Do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("chrometest: %s (at %s): %v", what, b.URL(), err)
	}
}

// run is Do for an action with a value.
func run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("chrometest: %s (at %s): %v", what, b.URL(), err)
	}
	return v
}

// Navigate opens url and waits for its body.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Do("open "+url, chromedp.Navigate(url), chromedp.WaitReady("body"))
}

// URL is the address of the page shown.
func (b *Browser) URL() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// Fill types value into the input (or chooses it in the select) matched
// by the CSS selector.
func (b *Browser) Fill(selector, value string) {
	b.t.Helper()
	b.Do("fill "+selector, chromedp.WaitVisible(selector), chromedp.SetValue(selector, value))
}

// Type types text into the input the way a keyboard does.
func (b *Browser) Type(selector, text string) {
	b.t.Helper()
	b.Do("type into "+selector, chromedp.WaitVisible(selector), chromedp.SendKeys(selector, text))
}

// Click clicks the element, then waits until the element waitFor is on the
// page (the next page's, after a navigation).
func (b *Browser) Click(selector, waitFor string) {
	b.t.Helper()
	b.Do("click "+selector, chromedp.WaitVisible(selector), chromedp.Click(selector), chromedp.WaitReady(waitFor))
}

// Submit clicks the element (a form's button) and waits until the next
// document has loaded: the page the form led to, or the same page
// rendered again with its errors.
func (b *Browser) Submit(selector string) {
	b.t.Helper()
	b.Do("mark the page", chromedp.WaitVisible(selector), chromedp.Evaluate[chromedp.Void](`window.__chrometestOld = true`))
	b.Do("click "+selector, chromedp.Click(selector))
	b.waitFor("the next page after clicking "+selector,
		`typeof window.__chrometestOld === "undefined" && document.readyState === "complete"`)
}

// Wait waits until the JavaScript condition holds on the page shown: what
// a script of the page does after an event (a live preview updated).
func (b *Browser) Wait(what, cond string) {
	b.t.Helper()
	b.waitFor(what, cond)
}

// WaitFor waits until the JavaScript condition holds on the page shown,
// through any navigation (a script that reloads the page).
func (b *Browser) WaitFor(what, cond string) { b.t.Helper(); b.waitFor(what, cond) }

// waitFor polls the page until the JavaScript condition holds (a page
// being replaced answers nothing for a moment: that is waited through).
func (b *Browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(b.Timeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("chrometest: waiting for %s (at %s): %v", what, b.URL(), err)
		}
		time.Sleep(20 * time.Millisecond) // the polling interval, not a wait for an event
	}
}

// TimeZone makes the page's JavaScript see zone as the browser's time
// zone.
func (b *Browser) TimeZone(zone string) {
	b.t.Helper()
	b.Do("time zone "+zone, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	}))
}

// Text is the visible text of the first element matching selector.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	return run(b, "read "+selector, chromedp.Text(selector))
}

// Value is the value of the input or select matching selector.
func (b *Browser) Value(selector string) string {
	b.t.Helper()
	return Eval[string](b, fmt.Sprintf(`document.querySelector(%q).value`, selector))
}

// Has reports whether an element matches selector now.
func (b *Browser) Has(selector string) bool {
	b.t.Helper()
	return Eval[bool](b, fmt.Sprintf(`document.querySelector(%q) !== null`, selector))
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	return run(b, "evaluate "+expr, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// ColorScheme makes the page render as with prefers-color-scheme: light
// or dark.
func (b *Browser) ColorScheme(scheme string) {
	b.t.Helper()
	b.Do("color scheme "+scheme, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return err
	}))
}

// Viewport sets the size of the page's window (a phone: 390×844).
func (b *Browser) Viewport(width, height int64) {
	b.t.Helper()
	b.Do("viewport", chromedp.EmulateViewport(width, height))
}

// Screenshot saves a PNG of the whole page as NAME.png among the test's
// artifacts (and in the package's testdata/screenshots with -update).
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(b.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatalf("chrometest: save screenshot: %v", err)
	}
	b.mu.Lock()
	b.shots = append(b.shots, path)
	b.mu.Unlock()
	if updating() {
		dir := filepath.Join("testdata", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	return path
}

// updating reports whether the test binary runs with -update (a flag the
// calling test package defines) or CONVENE_UPDATE_SCREENSHOTS=1.
func updating() bool {
	if os.Getenv("CONVENE_UPDATE_SCREENSHOTS") == "1" {
		return true
	}
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Weight is what a page costs to load: the bytes of its HTML, stylesheets
// and scripts (decoded, as served before any compression).
type Weight struct {
	HTML, CSS, JS int
}

// Total is the sum of the parts.
func (w Weight) Total() int { return w.HTML + w.CSS + w.JS }

func (w Weight) String() string {
	return fmt.Sprintf("%d B (HTML %d + CSS %d + JS %d)", w.Total(), w.HTML, w.CSS, w.JS)
}

// Weight measures the page shown, through the browser's Resource Timing
// entries. Cached files count their size too: the cost of a first visit.
func (b *Browser) Weight() Weight {
	b.t.Helper()
	var entries []struct {
		Type string `json:"type"`
		Size int    `json:"size"`
	}
	raw := Eval[string](b, `JSON.stringify([
		...performance.getEntriesByType("navigation").map(e => ({type: "html", size: e.decodedBodySize})),
		...performance.getEntriesByType("resource").map(e => ({type: e.initiatorType === "script" ? "js" :
			(e.initiatorType === "link" || e.name.includes(".css")) ? "css" : e.initiatorType, size: e.decodedBodySize}))])`)
	if err := json.Unmarshal([]byte(raw), &entries); err != nil {
		b.t.Fatalf("chrometest: weight: %v", err)
	}
	var w Weight
	for _, e := range entries {
		switch e.Type {
		case "html":
			w.HTML += e.Size
		case "css":
			w.CSS += e.Size
		case "js":
			w.JS += e.Size
		}
	}
	return w
}

// AxeResult is what axe-core found on a page.
type AxeResult struct {
	URL        string         `json:"url"`
	Violations []AxeViolation `json:"violations"`
	Passes     int            `json:"passes"`
}

// AxeViolation is one rule a page breaks.
type AxeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript reads axe-core from this package's testdata/axe/node_modules.
func axeScript() (string, error) {
	axeOnce.Do(func() {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			axeErr = errors.New("cannot find the chrometest package")
			return
		}
		b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "testdata", "axe", "node_modules", "axe-core", "axe.min.js"))
		if err != nil {
			axeErr = err
			return
		}
		axeSource = string(b)
	})
	return axeSource, axeErr
}

// Axe checks the page shown with axe-core against WCAG 2.0, 2.1 and 2.2 A
// and AA and axe's best practices, fails the test on any serious or
// critical violation, logs the others, and returns the result. The script
// is injected through the DevTools protocol, which the page's
// Content-Security-Policy does not govern.
func (b *Browser) Axe(name string) AxeResult {
	b.t.Helper()
	src, err := axeScript()
	if err != nil {
		testenv.Missing(b.t, "axe-core (npm ci in internal/chrometest/testdata/axe): "+err.Error())
	}
	if !Eval[bool](b, `typeof axe !== "undefined"`) {
		run(b, "inject axe-core", chromedp.Evaluate[chromedp.Void](src))
	}
	raw := Eval[string](b, `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
		.then(r => JSON.stringify({url: r.url, passes: r.passes.length,
			violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))}))}))`)
	var res AxeResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		b.t.Fatalf("chrometest: axe result: %v", err)
	}
	for _, v := range res.Violations {
		msg := fmt.Sprintf("axe %s: %s (%s): %s at %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Error(msg)
		} else {
			b.t.Log(msg)
		}
	}
	return res
}
