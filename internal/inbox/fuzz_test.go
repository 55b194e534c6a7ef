package inbox

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/convene/convene/internal/store"
)

// FuzzMessage feeds arbitrary bytes to what the inbox reads of a message:
// the summary stored with it (key, Message-ID, From, Subject) and the
// parsed view and text the Processor gets. Nothing may panic; what is
// stored must be valid UTF-8 without NUL and bounded.
func FuzzMessage(f *testing.F) {
	for _, s := range []string{
		"From: a@b.test\r\nSubject: hi\r\nMessage-ID: <x@y>\r\n\r\nbody\r\n",
		"Subject: =?ISO-8859-1?Q?R=E9union?=\r\nMessage-ID: x@y\r\n\r\n",
		"From: =?x-unknown?q?a?= <a@b>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\ncaf\xe9\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n",
		"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nw6k=\r\n",
		" bad first line\r\n\r\n",
		"Message-ID: <" + strings.Repeat("a", 300) + "@b>\r\n\r\n",
		"Subject: \x00\xff\xfe\r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sm := summarize(raw)
		if sm.key == "" || len(sm.key) > maxKey+2 {
			t.Errorf("key %q", sm.key)
		}
		for _, s := range []string{sm.key, sm.messageID, sm.from, sm.subject} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || len(s) > 998+2 {
				t.Errorf("unstorable %q", s)
			}
		}
		m, err := parseMessage(&store.InboxMessage{ID: "in_x", Raw: raw})
		if err != nil {
			return
		}
		b, err := m.Text()
		if err == nil && (len(b.Text) > 3*maxTextBytes || len(b.HTML) > 3*maxTextBytes) {
			t.Errorf("text of %d bytes", len(b.Text))
		}
	})
}
