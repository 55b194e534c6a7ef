package invite

import (
	"context"
	"testing"
)

// BenchmarkCompose composes one invitation mail (calendar with VTIMEZONE,
// default templates, MIME).
func BenchmarkCompose(b *testing.B) {
	req := mailCases()[1].req(b)
	c := composer()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compose(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkComposeCustom is BenchmarkCompose with custom templates, which
// are checked and parsed for every mail.
func BenchmarkComposeCustom(b *testing.B) {
	req := mailCases()[1].req(b)
	req.Account.Templates = DefaultTemplates("fr")
	c := composer()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Compose(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseReply reads Outlook's REPLY.
func BenchmarkParseReply(b *testing.B) {
	data := mustRead(b, "testdata/replies/outlook-tentative-occurrence.ics")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseReply(data); err != nil {
			b.Fatal(err)
		}
	}
}
