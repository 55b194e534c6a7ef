package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := environment{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, lookupEnv: func(string) (string, bool) { return "", false }}
	code := dispatch(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

// TestUnderstandCommand runs `convene understand` as DESIGN.md §4 says:
// one JSON line per request, unknown fields null.
func TestUnderstandCommand(t *testing.T) {
	in := "Thursday at 14:30 for an hour\n\njeudi après-midi, de préférence après 15h\nThanks!\n"
	code, out, errOut := runCmd(t, in, "understand", "--now", "2026-03-17T10:00:00+01:00", "--timezone", "Europe/Paris")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		`{"subject":null,"start_time":"2026-03-19T14:30:00+01:00","end_time":"2026-03-19T15:30:00+01:00","window":null,"duration":60,"timezone":"Europe/Paris","attendees":null,"video_provider":null,"recurrence":null,"language":"en"}`,
		`{"subject":null,"start_time":null,"end_time":null,"window":{"from":"2026-03-19T15:00:00+01:00","to":"2026-03-19T18:00:00+01:00"},"duration":null,"timezone":"Europe/Paris","attendees":null,"video_provider":null,"recurrence":null,"language":"fr"}`,
		`{"subject":null,"start_time":null,"end_time":null,"window":null,"duration":null,"timezone":"Europe/Paris","attendees":null,"video_provider":null,"recurrence":null,"language":"en"}`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d (the blank line is skipped):\n%s", len(lines), len(want), out)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, lines[i], want[i])
		}
	}

	msg := "Subject: Re: Q2 planning\r\nFrom: Alice <alice@acme.example>\r\n\r\nAs discussed on Monday, could we meet on Thursday at 2pm on Zoom with bob@acme.example?\r\n\r\nBest,\r\nAlice\r\n"
	code, out, errOut = runCmd(t, msg, "understand", "--email", "--now", "2026-03-16T09:12:00+01:00", "--timezone", "Europe/Paris")
	if code != 0 {
		t.Fatalf("--email: exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not one JSON object: %q", out)
	}
	if got["subject"] != "Q2 planning" || got["start_time"] != "2026-03-19T14:00:00+01:00" || got["video_provider"] != "zoom" {
		t.Errorf("--email: %s", out)
	}
	if a, _ := got["attendees"].([]any); len(a) != 1 || a[0] != "bob@acme.example" {
		t.Errorf("--email attendees: %v", got["attendees"])
	}

	// Errors: bad flags exit 2, unreadable input exit 1, --help exits 0.
	for _, args := range [][]string{
		{"understand", "--now", "tomorrow"},
		{"understand", "--timezone", "Mars/Olympus"},
		{"understand", "--language", "de"},
		{"understand", "extra"},
	} {
		if code, _, errOut := runCmd(t, "", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q, want 2 and a message", args, code, errOut)
		}
	}
	if code, _, errOut := runCmd(t, "no headers here", "understand", "--email", "--timezone", "UTC"); code != 1 || errOut == "" {
		t.Errorf("bad e-mail: exit %d %q", code, errOut)
	}
	if code, _, errOut := runCmd(t, strings.Repeat("x", 200<<10), "understand", "--timezone", "UTC"); code != 1 || !strings.Contains(errOut, "--email") {
		t.Errorf("overlong line: exit %d %q", code, errOut)
	}
	if code, out, _ := runCmd(t, "", "understand", "--help"); code != 0 || !strings.Contains(out, "--now RFC3339 --timezone TZ") {
		t.Errorf("--help: exit %d %q", code, out)
	}
	if code, out, _ := runCmd(t, "", "--help"); code != 0 || !strings.Contains(out, "understand") {
		t.Errorf("convene --help does not list understand: %q", out)
	}
}

// TestUnderstandEmailMessage: --email reads the message with
// internal/mail/message: HTML-only mail, the quoted history left out (its
// date is not the answer), a forwarded request, and the attendees of To and
// Cc less the sender and the assistant.
func TestUnderstandEmailMessage(t *testing.T) {
	html := "From: Claire Dubois <claire@client.example>\r\nTo: Ann Lefebvre <ann@acme.example>\r\n" +
		"Cc: assistant@convene.example, Bob Martin <bob@partner.example>\r\nSubject: RE : Point budget\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		"<div>Jeudi 19 mars à 14h, écrivez aussi à assistant@convene.example.</div>" +
		"<div class=\"gmail_quote\"><div class=\"gmail_attr\">Le lun. 16 mars 2026 à 09:00, Ann a écrit :</div>" +
		"<blockquote class=\"gmail_quote\">Vendredi 20 mars à 10h ?</blockquote></div>\r\n"
	forward := "From: Ann Lefebvre <ann@acme.example>\r\nTo: assistant@convene.example\r\nSubject: Fwd: Contract\r\n\r\n" +
		"Can you find us a time? 45 minutes.\r\n\r\n---------- Forwarded message ---------\r\n" +
		"From: Bob Martin <bob@partner.example>\r\nDate: Mon, Mar 16, 2026 at 8:00 AM\r\nSubject: Contract\r\nTo: Ann Lefebvre <ann@acme.example>\r\n\r\n" +
		"Hi Ann, let's meet on Thursday at 3pm.\r\n"
	for _, c := range []struct {
		name, msg, start, subject, lang string
		duration                        float64
		attendees                       []any
	}{
		{"html", html, "2026-03-19T14:00:00+01:00", "Point budget", "fr", 0, []any{"ann@acme.example", "bob@partner.example"}},
		{"forward", forward, "2026-03-19T15:00:00+01:00", "Contract", "en", 45, []any{"bob@partner.example"}},
	} {
		code, out, errOut := runCmd(t, c.msg, "understand", "--email", "--assistant", "assistant@convene.example", "--now", "2026-03-16T09:12:00+01:00", "--timezone", "Europe/Paris")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: not one JSON object: %q", c.name, out)
		}
		if got["start_time"] != c.start || got["subject"] != c.subject || got["language"] != c.lang {
			t.Errorf("%s: %s", c.name, out)
		}
		if d, _ := got["duration"].(float64); c.duration != 0 && d != c.duration {
			t.Errorf("%s: duration %v", c.name, got["duration"])
		}
		if a, _ := got["attendees"].([]any); !reflect.DeepEqual(a, c.attendees) {
			t.Errorf("%s: attendees %v, want %v", c.name, got["attendees"], c.attendees)
		}
	}
	// Content-Language breaks the tie of a text with no evidence.
	tie := "From: a@x.example\r\nSubject: 15:30\r\nContent-Language: fr-FR\r\n\r\n15:30 ?\r\n"
	if code, out, _ := runCmd(t, tie, "understand", "--email", "--timezone", "UTC"); code != 0 || !strings.Contains(out, `"language":"fr"`) {
		t.Errorf("Content-Language: exit %d %s", code, out)
	}
	// The assistant's address from the environment.
	env := environment{stdin: strings.NewReader(forward), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer),
		lookupEnv: func(k string) (string, bool) { return "assistant@convene.example", k == "CONVENE_ASSISTANT_ADDRESS" }}
	if code := dispatch(context.Background(), []string{"understand", "--email", "--timezone", "UTC"}, env); code != 0 ||
		strings.Contains(env.stdout.(*bytes.Buffer).String(), "assistant@") {
		t.Errorf("CONVENE_ASSISTANT_ADDRESS: exit %d %s", code, env.stdout)
	}
	// A message over a limit is refused.
	if code, _, errOut := runCmd(t, nestedBomb(), "understand", "--email", "--timezone", "UTC"); code != 1 || !strings.Contains(errOut, "limit") {
		t.Errorf("MIME bomb: exit %d %q", code, errOut)
	}
}

func nestedBomb() string {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	return b.String()
}
