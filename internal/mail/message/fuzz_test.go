package message

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzBound is the loose time one Read may take in the fuzz bodies (the
// inputs are small; -race and a shared machine slow things down).
const fuzzBound = 2 * time.Second

// fuzzMax is the largest input the fuzz bodies read: the limits, not the
// size, are under test.
const fuzzMax = 1 << 20

func seedMessages(f *testing.F) {
	files, _ := filepath.Glob("testdata/messages/*.eml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		nested(MaxDepth + 2), wide(40), "From: a@x\r\n\r\n", "From: a@x\r\nContent-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
		"From: a@x\r\nContent-Type: message/rfc822\r\n\r\nFrom: b@y\r\nContent-Type: message/rfc822\r\n\r\nx",
		"From: a@x\r\nContent-Type: text/html\r\n\r\n<blockquote><div class=gmail_quote>---------- Forwarded message ---------<br>From: b@y",
		"From: a@x\r\nSubject: FW: x\r\n\r\nFrom: b\r\nSent: c\r\nTo: d\r\n\r\n-----Original Message-----\r\nFrom: e\r\nSent: f\r\nTo: g",
		"From: a@x\r\nContent-Type: text/plain; format=flowed; delsp=yes\r\n\r\n> a \r\n>> b \r\n-- \r\n",
		"From: a@x\r\nReferences: <a@b> (c <d@e>) f@g <h\r\nIn-Reply-To: <<>>\r\nTo: g: a@b, <c;\r\n\r\n",
		"From: a@x\r\nContent-Type: text/calendar; method=reply\r\nContent-Transfer-Encoding: base64\r\n\r\nQkVHSU46VkNBTEVOREFS\r\n",
	} {
		f.Add([]byte(s))
	}
}

// FuzzRead: no message panics, every Read is bounded (MaxParts, MaxDepth,
// MaxText, linear work), and what it returns is well formed.
func FuzzRead(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > fuzzMax {
			return
		}
		start := time.Now()
		m, err := Read(raw, Options{})
		if took := time.Since(start); took > fuzzBound {
			t.Fatalf("%d bytes took %v", len(raw), took)
		}
		if err != nil {
			if !errors.Is(err, ErrLimit) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for name, s := range map[string]string{"text": m.Text, "new text": m.NewText, "subject": m.Subject, "topic": m.Topic} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not UTF-8: %q", name, s)
			}
		}
		if len(m.Text) > MaxText+MaxText/4 || len(m.NewText) > len(m.Text)+1 {
			t.Fatalf("text %d bytes, new text %d bytes", len(m.Text), len(m.NewText))
		}
		for _, l := range [][]string{m.Keys.InReplyTo, m.Keys.References, m.Keys.Forwarded} {
			if len(l) > MaxIDs {
				t.Fatalf("%d ids", len(l))
			}
		}
		if len(m.To) > MaxAddresses || len(m.Cc) > MaxAddresses || len(m.Attachments) > MaxParts {
			t.Fatalf("%d To, %d Cc, %d attachments", len(m.To), len(m.Cc), len(m.Attachments))
		}
		if a := m.Attendees([]string{"assistant@convene.example"}, directory); len(a.List) > MaxAddresses {
			t.Fatalf("%d attendees", len(a.List))
		}
		if m.Language != "en" && m.Language != "fr" {
			t.Fatalf("language %q", m.Language)
		}
		_ = BelongsTo([]Keys{m.Keys}, m.Keys)
	})
}

// FuzzNewText: no plain text panics the reply parser, and its answer is
// UTF-8 made of the body's own lines.
func FuzzNewText(f *testing.F) {
	for _, s := range []string{
		"Thursday works.\n\nOn Mon, Mar 16, 2026 at 9:00 AM Bob <b@x> wrote:\n> Friday?",
		"Oui.\n\nDe : Bob\nEnvoyé : lundi\nÀ : Ann\n\nVendredi ?", "Best,\nBob\n+1 212 555 0199", "> a\nb\n> c\nd",
		"---------- Forwarded message ---------\nFrom: a\n\nb", "On\nOn\nOn\nwrote:", "-- \n", "\xff\xfe>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		if len(body) > fuzzMax {
			return
		}
		start := time.Now()
		got := NewText(body)
		if took := time.Since(start); took > fuzzBound {
			t.Fatalf("%d bytes took %v", len(body), took)
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Fatalf("not UTF-8: %q", got)
		}
		for _, l := range strings.Split(got, "\n") {
			if l != "" && !strings.Contains(lineBreaks.Replace(body), strings.TrimSpace(l)) {
				t.Fatalf("line %q is not in the body", l)
			}
		}
	})
}
