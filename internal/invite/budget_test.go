package invite

import (
	"context"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"reflect"
	"strings"
	"testing"
	texttemplate "text/template"
	"time"
)

// nestedRanges is the template of issue 8's reproduction: depth ranges over
// the attendees, each inside the one before, so that the sample's three
// attendees make 3^depth iterations that write nothing.
func nestedRanges(depth int, inner string) string {
	return "{{.JoinURL}}{{range .Attendees}}" + strings.Repeat("{{range $.Attendees}}", depth-1) + inner + strings.Repeat("{{end}}", depth)
}

// reproduction is the text template of the 884-byte preview request of
// issue 8 ({"invitation":{"text":"…"}}): 30 nested ranges, 3^30 iterations.
func reproduction(t testing.TB) string {
	tpl := nestedRanges(30, "") + "       "
	if body := `{"invitation":{"text":"` + tpl + `"}}`; len(body) != 884 {
		t.Fatalf("the reproduction is %d bytes", len(body))
	}
	return tpl
}

// within runs f and fails the test when it has not returned after d: a
// rule that stops runaway templates, once removed, fails the test instead
// of hanging it.
func within(t *testing.T, d time.Duration, what string, f func()) time.Duration {
	t.Helper()
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
		return time.Since(start)
	case <-time.After(d):
		t.Fatalf("%s: still running after %v", what, d)
		return 0
	}
}

// TestNestedRangeReproduction: the 884-byte template of issue 8 is refused
// at once, with a clear problem, when saved and when previewed.
func TestNestedRangeReproduction(t *testing.T) {
	tpl := reproduction(t)
	for _, what := range []string{"save", "preview"} {
		var err error
		took := within(t, 10*time.Second, what, func() {
			if what == "save" {
				err = ValidateTemplates(context.Background(), Templates{Text: tpl}, Branding{})
			} else {
				_, err = Preview(context.Background(), Templates{Text: tpl}, Branding{}, KindRequest, "en")
			}
		})
		var ve *ValidationError
		// Said once (and the nesting past maxNesting once), not at every
		// level.
		if !errors.As(err, &ve) || !strings.Contains(ve.Problems[0].Message, "{{range}} inside another {{range}} is not allowed") ||
			ve.Problems[0].Field != "invitation.text" || ve.Problems[0].Line != 1 || len(ve.Problems) != 2 {
			t.Errorf("%s: %v", what, err)
		}
		if took > 100*time.Millisecond {
			t.Errorf("%s took %v", what, took)
		}
	}
}

// compileUnchecked parses a text template and adds the ticks, without the
// static checks: what the run-time budget alone must stop.
func compileUnchecked(t *testing.T, src string) executor {
	t.Helper()
	tt, err := texttemplate.New("text").Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	addTicks(tt.Tree.Root)
	return tt
}

// TestRenderStopsWhenContextEnds: a rendering that writes nothing for
// 3^30 iterations still stops when its context ends (the client left), or
// at maxRenderTime; so do render and Compose, without falling back to the
// default template.
func TestRenderStopsWhenContextEnds(t *testing.T) {
	ex := compileUnchecked(t, reproduction(t))
	data := samples(Branding{})[0]

	// Steps without limit: only the context and the time stop it.
	const unlimited = 1 << 62
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel) // the client leaves
	var err error
	var steps int
	took := within(t, 10*time.Second, "cancelled render", func() { _, steps, err = execute(ctx, ex, data, unlimited, time.Hour, errRenderTime) })
	if !errors.Is(err, context.Canceled) || took > 5*time.Second {
		t.Errorf("cancelled: %v after %v", err, took)
	}
	t.Logf("cancelled after %v and %d steps", took, steps)

	const budget = 200 * time.Millisecond
	took = within(t, 10*time.Second, "render past its time", func() {
		_, steps, err = execute(context.Background(), ex, data, unlimited, budget, errRenderTime)
	})
	var be *BudgetError
	if !errors.As(err, &be) || be.What != "time" || took < budget {
		t.Errorf("past its time: %v after %v and %d steps", err, took, steps)
	}
	t.Logf("stopped by the time budget after %v and %d steps", took, steps)

	done, stop := context.WithCancel(context.Background())
	stop()
	if out, steps, err := runSteps(done, defaults["en"][partHTML], data); !errors.Is(err, context.Canceled) || out != "" || steps > 1 {
		t.Errorf("already cancelled: %q %d %v", out, steps, err)
	}
	if r, warnings, err := render(done, Templates{Subject: "{{.Subject}}"}, data); !errors.Is(err, context.Canceled) || r.Subject != "" || len(warnings) > 0 {
		t.Errorf("render: %v %v %+v", err, warnings, r)
	}
	req := mailCases()[1].req(t)
	if m, err := composer().Compose(done, req); !errors.Is(err, context.Canceled) || m != nil {
		t.Errorf("compose: %v", err)
	}
}

// TestRenderBudget: the writer stops an execution past maxSteps writes or
// maxOutput bytes, and render then sends the default with a warning.
func TestRenderBudget(t *testing.T) {
	big := bigData(t)
	tests := []struct {
		name, src, what string
	}{
		{"steps", "{{range .Attendees}}" + strings.Repeat("{{if .Optional}}{{end}}", 500) + "{{end}}", "steps"},
		{"output", "{{range .Attendees}}{{$.Description}}{{end}}", "output"},
	}
	for _, tt := range tests {
		out, steps, err := runSteps(context.Background(), compileUnchecked(t, tt.src), big)
		var be *BudgetError
		if !errors.As(err, &be) || be.What != tt.what || out != "" || steps > maxSteps+1 {
			t.Errorf("%s: %v after %d steps, %d bytes", tt.name, err, steps, len(out))
		}
	}
	r, warnings, err := render(context.Background(), Templates{Text: "{{.JoinURL}}{{range .Attendees}}{{$.Description}}{{end}}"}, big)
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "output longer than") || !strings.Contains(r.Text, big.When) {
		t.Errorf("render: %v %q", err, warnings)
	}
}

// bigData is the largest invitation the budget is counted for: maxListLen
// attendees and lines, long texts.
func bigData(t testing.TB) *TemplateData {
	m := parisMeeting(t)
	m.Attendees = nil
	for i := range maxListLen {
		m.Attendees = append(m.Attendees, Attendee{Person: Person{Name: strings.Repeat("Ann ", 25) + fmt.Sprint(i), Email: fmt.Sprintf("a%d@example.org", i)}})
	}
	m.Description = strings.Repeat(strings.Repeat("word ", 8)+"\n", 2*maxListLen)
	m.Video = zoomVideo()
	m.Video.Invitation = strings.Repeat("+33 1 7037 2246 France\n", maxListLen)
	prev := *m
	prev.Summary, prev.Start, prev.End = "Before", m.Start.Add(-time.Hour), m.End.Add(-time.Hour)
	prev.Attendees, prev.Video, prev.Location = nil, nil, "Room 1"
	m.Sequence = 1
	req := MailRequest{Method: MethodRequest, Meeting: m, Previous: &prev, Account: Account{Name: "Acme", Language: "en",
		Branding: Branding{Name: "Acme", Footer: strings.Repeat("Acme SAS\n", 1000)}}, To: Recipient{Email: "bob@example.org"},
		Reason: strings.Repeat("because\n", 1000)}
	d, err := templateData(&req, KindUpdate)
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]int{"attendees": len(d.Attendees), "description": len(d.DescriptionLines), "dial-in": len(d.DialInLines),
		"footer": len(d.Branding.FooterLines), "reason": len(d.ReasonLines)} {
		if n < maxListLen/2 || n > maxListLen {
			t.Fatalf("%s: %d items", name, n)
		}
	}
	return d
}

// TestSavedTemplatesStayWithinBudget: templates that pass ValidateTemplates,
// up to the largest cost it accepts, render the largest data within
// maxSteps and maxRenderTime: compile's worst case bounds the execution.
func TestSavedTemplatesStayWithinBudget(t *testing.T) {
	big := bigData(t)
	// The most {{.Optional}} a range body may hold: 500 × (1 + 1 + 3n) ≤ maxSteps.
	n := (maxSteps/maxListLen - 2) / 3
	heavy := "{{.JoinURL}}{{range .Attendees}}" + strings.Repeat("{{.Optional}}", n) + "{{end}}"
	if err := ValidateTemplates(context.Background(), Templates{Text: heavy + "{{.Optional}}"}, Branding{}); err == nil {
		t.Fatal("one more action in the range is accepted")
	}
	everyList := "{{.JoinURL}}"
	for _, l := range []string{".Attendees", ".Changes", ".DescriptionLines", ".DialInLines", ".ReasonLines", ".Branding.FooterLines"} {
		everyList += "{{range $i, $x := " + l + "}}{{if $i}},{{end}}{{$x}}{{end}}"
	}
	for name, tpl := range map[string]Templates{"defaults": DefaultTemplates("en"), "heavy": {Text: heavy}, "every list": {Text: everyList, HTML: "<p>" + everyList + "</p>"}} {
		if err := ValidateTemplates(context.Background(), tpl, Branding{}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		srcs := [3]string{tpl.Subject, tpl.Text, tpl.HTML}
		for p, src := range srcs {
			if src == "" {
				continue
			}
			ex, probs := compile(part(p), src)
			if probs != nil {
				t.Fatal(probs)
			}
			start := time.Now()
			out, steps, err := runSteps(context.Background(), ex, big)
			var be *BudgetError
			if errors.As(err, &be) && be.What != "output" || err != nil && be == nil {
				t.Errorf("%s %s: %v after %d steps", name, partFields[p], err, steps)
			}
			if cost := costOf(t, part(p), src); steps > maxSteps || int64(steps) > cost || len(out) > maxOutput || time.Since(start) > maxRenderTime {
				t.Errorf("%s %s: %d steps, %d bytes, %v", name, partFields[p], steps, len(out), time.Since(start))
			}
			t.Logf("%s %s: %d steps (worst case %d), %d bytes, %v", name, partFields[p], steps, costOf(t, part(p), src), len(out), time.Since(start))
		}
	}
}

// TestTicks: every action and every range iteration reaches the writer,
// so a body that writes nothing still counts; and the ticks change nothing
// in the output, in text or HTML.
func TestTicks(t *testing.T) {
	data := samples(Branding{})[0]
	for p := partSubject; p <= partHTML; p++ {
		ex, probs := compile(p, "{{range .Attendees}}{{end}}{{$x := .Subject}}{{if .IsCancel}}{{end}}")
		if probs != nil {
			t.Fatal(probs)
		}
		// range, 3 iterations, declaration, if
		if _, steps, err := runSteps(context.Background(), ex, data); err != nil || steps != 1+3+1+1 {
			t.Errorf("%s: %d steps, %v", partFields[p], steps, err)
		}
	}
	for _, lang := range Languages {
		def := DefaultTemplates(lang)
		for p, src := range [3]string{def.Subject, def.Text, def.HTML} {
			var plain executor = texttemplate.Must(texttemplate.New("x").Parse(src))
			if p == int(partHTML) {
				plain = htmltemplate.Must(htmltemplate.New("x").Parse(src))
			}
			var want strings.Builder
			if err := plain.Execute(&want, data); err != nil {
				t.Fatal(err)
			}
			if got, _ := run(context.Background(), defaults[lang][p], data); got != want.String() {
				t.Errorf("%s %s: ticks changed the output", lang, partFiles[p])
			}
		}
	}
}

// costOf is compile's worst-case cost of a template.
func costOf(t testing.TB, p part, src string) int64 {
	tt, err := texttemplate.New("x").Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{tree: tt.Tree, add: func(line int, format string, args ...any) { t.Fatalf(format, args...) }}
	return c.walk(tt.Tree.Root, dataType, map[string]reflect.Type{"$": dataType}, 1, 0)
}
