package mailauth_test

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"

	"github.com/convene/convene/internal/mail/mailauth"
)

// FuzzHeader feeds arbitrary header sections to the parsers this package
// writes or wraps: the From address, the trusted Authentication-Results
// and comment stripping. None may panic; what they return must be sound.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{
		"From: Ann <ann@acme.test>\r\n\r\n",
		"From: a@b.test, c@d.test\r\n\r\n",
		"From: =?iso-8859-1?q?Andr=E9?= <andre@exemple.fr>\r\n\r\n",
		"From: undisclosed-recipients:;\r\n\r\n",
		"From: x@[192.0.2.1]\r\n\r\n",
		"From: \"q\\\"\" <\"odd local\"@b\xc3\xa9.test>\r\n\r\n",
		"Authentication-Results: mx.trusted.test; dmarc=pass header.from=acme.test\r\nFrom: a@acme.test\r\n\r\n",
		"Authentication-Results: mx.trusted.test 1; spf=pass (x (y) \\) z) smtp.mailfrom=a@b; dkim=pass header.d=b header.i=@b\r\n\r\n",
		"Authentication-Results: mx.trusted.test; none\r\nAuthentication-Results: mx.trusted.test; dkim=fail\r\n\r\n",
		"Authentication-Results: mx.trusted.test 2; dmarc=pass\r\n\r\n",
		"Authentication-Results: (comment) mx.trusted.test; \"quoted; semi\" dmarc=pass\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
		if a, err := mailauth.FromAddress(h); err == nil {
			if a.Domain == "" || strings.ToLower(a.Domain) != a.Domain || !strings.HasSuffix(a.Address, "@"+a.Domain) {
				t.Errorf("From %q gave address %q domain %q", h.Get("From"), a.Address, a.Domain)
			}
		}
		res, ok := mailauth.TrustedResults(h, "mx.trusted.test")
		if !ok && len(res) > 0 {
			t.Errorf("results %v without a trusted field", res)
		}
		for _, r := range res {
			switch r.Method {
			case "spf", "dkim", "dmarc":
			default:
				t.Errorf("unexpected method %q", r.Method)
			}
		}
		s := mailauth.StripComments(string(raw))
		if len(s) > len(raw)+strings.Count(string(raw), "(") {
			t.Errorf("StripComments grew %d to %d bytes", len(raw), len(s))
		}
		_ = mailauth.Aligned(h.Get("X-A"), h.Get("X-B"), len(raw)%2 == 0)
	})
}
