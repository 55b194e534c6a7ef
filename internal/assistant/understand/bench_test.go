package understand

import (
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time (user + system) this process has used: on a
// shared machine it measures the work, where wall time also counts waiting.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkParse parses the texts of the corpus (one-line requests and
// whole e-mails, read the way `convene understand` reads them: the e-mail's
// new text with rule 15), in turn; requests/s is per core with -cpu 1, and
// requests/cpu-s counts only the CPU time used (on a shared machine wall
// time also counts the waiting).
func BenchmarkParse(b *testing.B) {
	cases := loadCorpus(b)
	type input struct {
		text string
		ctx  Context
	}
	var all, lines, mails []input
	for _, c := range cases {
		loc, _ := time.LoadLocation(c.Timezone)
		now, _ := time.Parse(time.RFC3339, c.Now)
		ctx := Context{Now: now, Zone: loc}
		text := c.Text
		if c.Kind == "email" {
			_, from, body, err := ReadEmail(strings.NewReader(c.Text))
			if err != nil {
				b.Fatal(err)
			}
			text = NewText(body)
			ctx.Mail, ctx.Sender = true, from
			mails = append(mails, input{text, ctx})
		} else {
			lines = append(lines, input{text, ctx})
		}
		all = append(all, input{text, ctx})
	}
	for _, set := range []struct {
		name string
		ins  []input
	}{{"all", all}, {"lines", lines}, {"emails", mails}} {
		b.Run(set.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			n := 0
			for b.Loop() {
				in := &set.ins[n%len(set.ins)]
				Parse(in.text, in.ctx)
				n++
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "requests/s")
			if cpu > 0 {
				b.ReportMetric(float64(n)/cpu.Seconds(), "requests/cpu-s")
			}
		})
	}
}
