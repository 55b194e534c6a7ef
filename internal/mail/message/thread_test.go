package message

import (
	"os"
	"testing"
)

func readFile(t *testing.T, name string) *Message {
	t.Helper()
	raw, err := os.ReadFile("testdata/messages/" + name + ".eml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Read(raw, Options{})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func readString(t *testing.T, s string) *Message {
	t.Helper()
	m, err := Read([]byte(s), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBelongsTo follows the stories of BelongsTo's doc comment.
func TestBelongsTo(t *testing.T) {
	// Ann forwards Bob's "let's meet" (B = CAM3b0-bob01) to the assistant
	// (F); the assistant answers with a proposal P in F's thread.
	fwd := readFile(t, "gmail-forward-en")
	proposal := Keys{
		MessageID:  "convene-p1@convene.example",
		InReplyTo:  []string{fwd.Keys.MessageID},
		References: append(append([]string{}, fwd.Keys.References...), fwd.Keys.MessageID),
		Subject:    fwd.Keys.Subject,
	}
	thread := []Keys{fwd.Keys, proposal}

	// Bob answers in his own thread with Ann (In-Reply-To B), the
	// assistant in copy: B is in F's References.
	if reply := readFile(t, "guest-reply-to-forward"); !BelongsTo(thread, reply.Keys) {
		t.Errorf("the guest's reply to his own message, which the organizer forwarded, was not matched: %+v", reply.Keys)
	}
	// Bob answers the proposal.
	if !BelongsTo(thread, Keys{MessageID: "b3@partner.example", InReplyTo: []string{"convene-p1@convene.example"}}) {
		t.Error("a reply to the assistant's proposal was not matched")
	}
	// Ann forwards the proposal to Bob, Bob answers her: his References
	// hold P through her forward's References; his client trimmed the rest.
	if !BelongsTo(thread, Keys{MessageID: "b4@partner.example", InReplyTo: []string{"ann-fw@acme.example"},
		References: []string{"convene-p1@convene.example", "ann-fw@acme.example"}}) {
		t.Error("a reply to the organizer's forward of the proposal was not matched")
	}
	// The same message delivered twice.
	if !BelongsTo(thread, fwd.Keys) {
		t.Error("a duplicate was not matched")
	}
	// Unrelated mail, even with the same subject.
	other := Keys{MessageID: "x@elsewhere.example", InReplyTo: []string{"y@elsewhere.example"}, Subject: fwd.Keys.Subject}
	if BelongsTo(thread, other) {
		t.Error("an unrelated message was matched")
	}
	if !SameSubject(thread, other) || SameSubject(thread, Keys{Subject: "lunch"}) || SameSubject(thread, Keys{}) {
		t.Error("SameSubject")
	}
	if BelongsTo(nil, fwd.Keys) || BelongsTo(thread, Keys{}) {
		t.Error("empty keys matched")
	}

	// Thunderbird names the forwarded message in X-Forwarded-Message-Id:
	// Nora's next message, a reply to the one Ann forwarded, matches.
	tb := readFile(t, "thunderbird-forward-en")
	nora := Keys{MessageID: "nora-2@audit.example", InReplyTo: []string{"5e6f7081-9a0b-1c2d-3e4f-506172839405@audit.example"}}
	if !BelongsTo([]Keys{tb.Keys}, nora) {
		t.Error("a reply to a message forwarded by Thunderbird was not matched")
	}
	// A forward as attachment carries the forwarded message's id.
	att := readFile(t, "forward-as-attachment")
	eva := Keys{MessageID: "eva-2@recruit.example", References: []string{"eva-recruit-0001@recruit.example"}}
	if !BelongsTo([]Keys{att.Keys}, eva) {
		t.Error("a reply to a message forwarded as attachment was not matched")
	}
	// Outlook's conversation index, when every id was dropped.
	od := readFile(t, "outlook-desktop-en")
	if !BelongsTo([]Keys{od.Keys}, Keys{MessageID: "z@corp.example", ThreadIndex: od.Keys.ThreadIndex}) {
		t.Error("the same Outlook conversation was not matched")
	}
	// A message whose own id a stored message already names (it arrived
	// after the reply that quotes it).
	if !BelongsTo([]Keys{fwd.Keys}, Keys{MessageID: "CAM3b0-bob01@mail.gmail.com"}) {
		t.Error("a late parent was not matched")
	}
}
