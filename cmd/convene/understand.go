package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/convene/convene/internal/assistant/understand"
	"github.com/convene/convene/internal/mail/message"
)

func init() {
	register(command{name: "understand", summary: "read meeting requests (English, French) into structured requests", run: runUnderstand})
}

const understandUsage = `Usage: convene understand --now RFC3339 --timezone TZ [--email [--assistant ADDR]] < requests

Reads meeting requests in English or French on standard input, one per line
(blank lines are skipped), or one whole RFC 5322 e-mail with --email: its
Subject is the subject; the request is the new text of its body (quoted
history and signature removed, HTML turned into text) followed by the text
of the message it forwards, if any; its attendees are the addresses in the
text, then its To and Cc (and the forwarded message's people) less the
sender and the --assistant address. It prints one JSON object per request:
  {"subject", "start_time", "end_time", "window": {"from", "to"}, "duration",
   "timezone", "attendees", "video_provider", "recurrence": {"rrule"}, "language"}
Unknown fields are null. Times are RFC 3339 with the offset in force in
"timezone" (the --timezone, unless the text names another zone). The
conventions are those of UNDERSTANDING.md. Exit status: 1 for input that
cannot be read, 2 for bad flags.
`

func runUnderstand(ctx context.Context, args []string, env environment) int {
	fs := flag.NewFlagSet("convene understand", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), understandUsage+"\nFlags:\n"); fs.PrintDefaults() }
	nowFlag := fs.String("now", "", "the instant the requests were written, RFC 3339 (default: the current time)")
	tzFlag := fs.String("timezone", "UTC", "IANA zone of the requests' local calendar")
	email := fs.Bool("email", false, "standard input is one RFC 5322 e-mail")
	langFlag := fs.String("language", "", "en or fr: the language assumed when the text gives no evidence")
	assistantDefault, _ := env.lookupEnv("CONVENE_ASSISTANT_ADDRESS")
	assistant := fs.String("assistant", assistantDefault, "with --email: the assistant's address, left out of the attendees (default $CONVENE_ASSISTANT_ADDRESS)")
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(env.stdout)
			fs.Usage()
			return 0
		}
	}
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(env.stderr, "convene understand: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return bad("--now: want an RFC 3339 time, got %q", *nowFlag)
		}
		now = t
	}
	loc, err := time.LoadLocation(*tzFlag)
	if err != nil || *tzFlag == "" || strings.EqualFold(*tzFlag, "local") {
		return bad("--timezone: want an IANA zone such as Europe/Paris, got %q", *tzFlag)
	}
	lang := understand.Language(*langFlag)
	if lang != "" && lang != understand.English && lang != understand.French {
		return bad("--language: want en or fr, got %q", *langFlag)
	}
	uctx := understand.Context{Now: now, Zone: loc, Language: lang}

	out := bufio.NewWriter(env.stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	fail := func(err error) int {
		_ = out.Flush()
		fmt.Fprintf(env.stderr, "convene understand: %v\n", err)
		return 1
	}
	if *email {
		req, err := understandEmail(env.stdin, uctx, *assistant)
		if err != nil {
			return fail(err)
		}
		if err := enc.Encode(req.Contract()); err != nil {
			return fail(err)
		}
		if err := out.Flush(); err != nil {
			return fail(err)
		}
		return 0
	}
	sc := bufio.NewScanner(env.stdin)
	sc.Buffer(make([]byte, 64<<10), understand.MaxInput+1024)
	for sc.Scan() {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if err := enc.Encode(understand.Parse(line, uctx).Request.Contract()); err != nil {
			return fail(err)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("a line is longer than %d bytes; send long texts with --email", understand.MaxInput+1024)
		}
		return fail(err)
	}
	if err := out.Flush(); err != nil {
		return fail(err)
	}
	return 0
}

// understandEmail reads one e-mail with internal/mail/message (MIME, HTML,
// quoted history, forwards) and its request with understand.
func understandEmail(r io.Reader, uctx understand.Context, assistant string) (understand.Request, error) {
	raw, err := io.ReadAll(io.LimitReader(r, message.DefaultMaxSize+1))
	if err != nil {
		return understand.Request{}, fmt.Errorf("read e-mail: %w", err)
	}
	m, err := message.Read(raw, message.Options{})
	if err != nil {
		return understand.Request{}, err
	}
	if uctx.Language == "" {
		uctx.Language = m.Language // Content-Language breaks the ties of the text
	}
	forwarded := ""
	if m.Forward != nil {
		forwarded = m.Forward.NewText
	}
	req := understand.ParseForward(m.Subject, m.From.Email, m.NewText, forwarded, uctx).Request
	seen := map[string]bool{}
	if assistant != "" {
		seen[message.AddressKey(assistant)] = true // in the text, To or Cc
	}
	text := req.Attendees[:0]
	for _, a := range req.Attendees {
		if k := message.AddressKey(a); !seen[k] {
			seen[k] = true
			text = append(text, a)
		}
	}
	req.Attendees = text
	for _, a := range m.Attendees(nil, nil).List {
		if k := message.AddressKey(a.Email); !seen[k] {
			seen[k] = true
			req.Attendees = append(req.Attendees, a.Email)
		}
	}
	return req, nil
}
