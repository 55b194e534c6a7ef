package message

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// nested returns a message of depth nested multiparts around a text part.
func nested(depth int) string {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\nSubject: bomb\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nFriday at 3?\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return b.String()
}

// wide returns a multipart/mixed message with n text parts.
func wide(n int) string {
	var b strings.Builder
	b.WriteString("From: a@x.example\r\nSubject: wide\r\nContent-Type: multipart/mixed; boundary=w\r\n\r\n")
	for range n {
		b.WriteString("--w\r\nContent-Type: text/plain\r\n\r\nx\r\n")
	}
	b.WriteString("--w--\r\n")
	return b.String()
}

func wantLimit(t *testing.T, name string, err error, what string) {
	t.Helper()
	var le *LimitError
	if !errors.Is(err, ErrLimit) || !errors.As(err, &le) || le.What != what {
		t.Errorf("%s: err %v, want the %s limit", name, err, what)
	}
}

func TestLimits(t *testing.T) {
	// Nesting: MaxDepth levels are read, one more is refused.
	m, err := Read([]byte(nested(MaxDepth)), Options{})
	if err != nil || m.NewText != "Friday at 3?" {
		t.Errorf("%d levels: %v %+v", MaxDepth, err, m)
	}
	_, err = Read([]byte(nested(MaxDepth+1)), Options{})
	wantLimit(t, "depth", err, "nesting depth")

	// Parts: the message and MaxParts-1 parts are read, one more is refused.
	if _, err := Read([]byte(wide(MaxParts-1)), Options{}); err != nil {
		t.Errorf("%d parts: %v", MaxParts-1, err)
	}
	_, err = Read([]byte(wide(MaxParts)), Options{})
	wantLimit(t, "parts", err, "parts")

	// Attached messages count as nesting too.
	msg := "Subject: in\r\n\r\nFriday\r\n"
	for range MaxDepth + 1 {
		msg = "From: a@x.example\r\nContent-Type: message/rfc822\r\n\r\n" + msg
	}
	_, err = Read([]byte(msg), Options{})
	wantLimit(t, "attached", err, "nesting depth")

	// Size.
	big := "From: a@x.example\r\n\r\n" + strings.Repeat("x", 1000)
	_, err = Read([]byte(big), Options{MaxSize: 500})
	wantLimit(t, "size", err, "size")
	if _, err := Read([]byte(big), Options{MaxSize: len(big)}); err != nil {
		t.Errorf("exactly MaxSize: %v", err)
	}

	// The header of the message, and of a part (read as text instead).
	_, err = Read([]byte("From: a@x.example\r\nX-Pad: "+strings.Repeat("y", MaxHeader)+"\r\n\r\nhi\r\n"), Options{})
	wantLimit(t, "header", err, "header size")
	partHeader := "From: a@x.example\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\nX-Pad: " + strings.Repeat("y", MaxPartHeader) + "\r\n\r\nhi\r\n--p--\r\n"
	if m, err := Read([]byte(partHeader), Options{}); err != nil || m.Text == "" {
		t.Errorf("an oversized part header: %v", err)
	}

	// Text is cut at MaxText, with Truncated.
	long := "From: a@x.example\r\n\r\n" + strings.Repeat("blah blah blah\r\n", MaxText/14)
	m, err = Read([]byte(long), Options{})
	if err != nil || !m.Truncated || len(m.Text) > MaxText {
		t.Errorf("long text: %v, truncated %v, %d bytes", err, m.Truncated, len(m.Text))
	}
	// And across parts: two texts of MaxText/2+1 do not both fit.
	half := strings.Repeat("z", MaxText/2+1)
	two := "From: a@x.example\r\nContent-Type: multipart/mixed; boundary=h\r\n\r\n--h\r\n\r\n" + half + "\r\n--h\r\n\r\n" + half + "\r\n--h--\r\n"
	if m, err := Read([]byte(two), Options{}); err != nil || !m.Truncated || len(m.Text) > MaxText+2 {
		t.Errorf("two halves: %v, truncated %v, %d bytes", err, m.Truncated, len(m.Text))
	}
}

// TestMIMEBomb checks that bombs are refused at once: ten thousand nested
// multiparts, a hundred thousand parts, and a deep chain of attached
// messages, each in a few hundred kilobytes.
func TestMIMEBomb(t *testing.T) {
	deep := nested(10000)
	var many strings.Builder
	many.WriteString("From: a@x.example\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n")
	for range 100000 {
		many.WriteString("--m\r\n\r\n")
	}
	for name, msg := range map[string]string{"deep": deep, "wide": many.String()} {
		start := time.Now()
		_, err := Read([]byte(msg), Options{})
		took := time.Since(start)
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%s bomb (%d bytes) accepted: %v", name, len(msg), err)
		}
		// Refusing takes microseconds; the bound is loose for -race on a
		// shared machine.
		if took > 2*time.Second {
			t.Errorf("%s bomb took %v", name, took)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{"no headers here", "", "\r\nbody without header", " leading space: x\r\n\r\n"} {
		if _, err := Read([]byte(in), Options{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: err %v, want ErrMalformed", in, err)
		}
	}
}

// TestLenient: damage that is read around.
func TestLenient(t *testing.T) {
	for _, c := range []struct{ name, msg, want string }{
		{"mbox line", "From ann@x.example Mon Mar  2 10:00:00 2026\r\nFrom: ann@x.example\r\n\r\nFriday?\r\n", "Friday?"},
		{"bare LF", "From: ann@x.example\nSubject: x\n\nFriday?\n", "Friday?"},
		{"bad header line", "From: ann@x.example\r\nthis is not a field\r\nSubject: x\r\n\r\nFriday?\r\n", "Friday?"},
		{"no close delimiter", "From: a@x\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nFriday?\r\n", "Friday?"},
		{"no boundary parameter", "From: a@x\r\nContent-Type: multipart/mixed\r\n\r\n--q\r\n\r\nFriday?\r\n", ""},
		{"boundary prefix", "From: a@x\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\nA\r\n--qq\r\nB\r\n--q--\r\n", "A\n--qq\nB"},
		{"unknown charset", "From: a@x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nFriday?\r\n", "Friday?"},
		{"unknown charset, 8-bit", "From: a@x\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nVendredi \xe0 9h\r\n", "Vendredi à 9h"},
		{"utf-8 label, latin-1 bytes", "From: a@x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nVendredi \xe0 9h\r\n", "Vendredi \uFFFD 9h"},
		{"bad base64", "From: a@x\r\nContent-Transfer-Encoding: base64\r\n\r\nRnJp ZGF5\r\n!!!\r\nPw==\r\n", "Friday?"},
		{"bad quoted-printable", "From: a@x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nFri=ZZday =3D 3\r\n", "Fri=ZZday = 3"},
		{"unknown encoding", "From: a@x\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nFriday?\r\n", "Friday?"},
		{"bad content type", "From: a@x\r\nContent-Type: text/plain; charset=\r\n\r\nFriday?\r\n", "Friday?"},
		{"html without charset", "From: a@x\r\nContent-Type: text/html\r\n\r\n<meta charset=\"windows-1252\"><p>Caf\xe9 \x96 Friday</p>\r\n", "Café – Friday"},
		{"attachment only", "From: a@x\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n", ""},
		{"text attachment", "From: a@x\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n\r\nMine\r\n--a\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\nFriday 9am\r\n--a--\r\n", "Mine"},
		{"signed", "From: a@x\r\nContent-Type: multipart/signed; boundary=s; protocol=\"application/pgp-signature\"\r\n\r\n--s\r\n\r\nFriday?\r\n--s\r\nContent-Type: application/pgp-signature\r\n\r\nsig\r\n--s--\r\n", "Friday?"},
		{"related", "From: a@x\r\nContent-Type: multipart/related; boundary=r\r\n\r\n--r\r\nContent-Type: text/html\r\n\r\n<p>Friday?</p><img src=cid:x>\r\n--r\r\nContent-Type: image/png\r\nContent-Id: <x>\r\n\r\nPNG\r\n--r--\r\n", "Friday?"},
	} {
		m, err := Read([]byte(c.msg), Options{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.NewText != c.want {
			t.Errorf("%s: new text %q, want %q", c.name, m.NewText, c.want)
		}
	}
}

// TestCalendar: the first iCalendar part is kept with its method, from the
// Content-Type parameter, else from the METHOD property.
func TestCalendar(t *testing.T) {
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:COUNTER\r\nBEGIN:VEVENT\r\nUID:u1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	for _, c := range []struct{ name, part, method string }{
		{"attachment without method", "Content-Type: application/octet-stream; name=invite.ics\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\n\r\n" + ics, "COUNTER"},
		{"parameter", "Content-Type: text/calendar; method=reply; charset=utf-8\r\n\r\n" + ics, "REPLY"},
		{"no method at all", "Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nMETHOD:X\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", ""},
	} {
		msg := "From: a@x.example\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nSee the invitation.\r\n--c\r\n" + c.part + "\r\n--c--\r\n"
		m, err := Read([]byte(msg), Options{})
		if err != nil || m.Calendar == nil {
			t.Fatalf("%s: %v %+v", c.name, err, m)
		}
		if m.Calendar.Method != c.method || !strings.HasPrefix(string(m.Calendar.Data), "BEGIN:VCALENDAR") || m.NewText != "See the invitation." {
			t.Errorf("%s: method %q, data %q, text %q", c.name, m.Calendar.Method, m.Calendar.Data, m.NewText)
		}
	}
}
