package message

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func loadMessages(b *testing.B) [][]byte {
	files, _ := filepath.Glob("testdata/messages/*.eml")
	var msgs [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, raw)
	}
	return msgs
}

// BenchmarkRead reads the test messages in turn (Gmail, Outlook, Apple
// Mail, Thunderbird, HTML, forwards, attachments…) and reports messages
// read per second, attendees included.
func BenchmarkRead(b *testing.B) {
	msgs := loadMessages(b)
	size := 0
	for _, m := range msgs {
		size += len(m)
	}
	b.SetBytes(int64(size / len(msgs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m, err := Read(msgs[i%len(msgs)], Options{})
		if err != nil {
			b.Fatal(err)
		}
		m.Attendees([]string{assistantAddr}, directory)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkReadLarge reads a 1 MiB HTML reply with a long quoted history,
// the text limit of one message.
func BenchmarkReadLarge(b *testing.B) {
	quote := strings.Repeat("<div>Could we meet next week to review the figures? Thursday or Friday.</div>\n", 12000)
	raw := []byte("From: a@x.example\r\nSubject: Re: Figures\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
		"<div>Thursday works.</div><div class=\"gmail_quote\"><blockquote class=\"gmail_quote\">" + quote + "</blockquote></div>\r\n")
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Read(raw, Options{})
		if err != nil || m.NewText != "Thursday works." {
			b.Fatalf("%v %q", err, m.NewText)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
