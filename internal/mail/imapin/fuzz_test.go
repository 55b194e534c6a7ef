package imapin

import (
	"context"
	"strings"
	"testing"

	"github.com/convene/convene/internal/inbox"
)

// routes is an Intake whose only assistant is assistant@acme.test.
type routes struct{ calls int }

func (r *routes) Route(_ context.Context, a string) (string, error) {
	r.calls++
	if strings.EqualFold(a, "assistant@acme.test") {
		return "acc_1", nil
	}
	return "", inbox.ErrUnknownRecipient
}
func (*routes) Receive(context.Context, inbox.Delivery) ([]inbox.Stored, error) { return nil, nil }
func (*routes) Cursor(context.Context, string) (uint32, uint32, error)          { return 0, 0, nil }
func (*routes) SaveCursor(context.Context, inbox.Cursor) error                  { return nil }

// FuzzRecipients feeds arbitrary header sections to the search for a
// message's assistant: no panic, at most one recipient per account, and a
// bounded number of lookups.
func FuzzRecipients(f *testing.F) {
	for _, s := range []string{
		"Delivered-To: assistant@acme.test\r\n\r\n",
		"To: Bob <bob@x.test>, \"Assistant\" <ASSISTANT@acme.test>\r\nCc: assistant@acme.test\r\n\r\n",
		"X-Original-To: <assistant@acme.test>\r\nTo: undisclosed-recipients:;\r\n\r\n",
		"To: " + strings.Repeat("a@b.test, ", 200) + "\r\n\r\n",
		"Cc: =?utf-8?q?=C3=A9?= <x@y>\r\n\r\n",
		"Envelope-To: @@@\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		in := &routes{}
		r := New(Mailbox{User: "shared"}, in, Options{})
		got, err := r.recipients(context.Background(), raw)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 1 || in.calls > maxCandidates {
			t.Errorf("%d recipients after %d lookups", len(got), in.calls)
		}
	})
}
