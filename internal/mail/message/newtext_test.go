package message

import (
	"strings"
	"testing"

	"github.com/convene/convene/internal/assistant/understand"
)

// NewText plugs into understand's hook.
var _ = understand.EmailOptions{NewText: NewText}

func TestNewText(t *testing.T) {
	for _, c := range []struct{ name, body, want string }{
		// What is not quoted history stays.
		{"sentence starting with On", "On Thursday I can do 3pm.\nOn Friday I'm out.", "On Thursday I can do 3pm.\nOn Friday I'm out."},
		{"wrote in a sentence", "As Ann wrote: we need a room.\nThursday?", "As Ann wrote: we need a room.\nThursday?"},
		{"From and To in text", "From: Monday\nTo: Friday\nI'm away.", "From: Monday\nTo: Friday\nI'm away."},
		{"a line of underscores alone", "Agenda\n__________\nFriday at 3?", "Agenda\n__________\nFriday at 3?"},
		{"sent from, with a question", "Sent from my office: can we meet Friday?", "Sent from my office: can we meet Friday?"},
		{"not a disclaimer", "Hi,\n\nThis email is to ask whether Friday works.", "Hi,\n\nThis email is to ask whether Friday works."},
		{"only a banner", "CAUTION: This email originated from outside of the organization.", "CAUTION: This email originated from outside of the organization."},

		// Attributions.
		{"gmail", "Thursday works.\n\nOn Mon, Mar 16, 2026 at 9:00 AM Bob <b@x.example> wrote:\n> Can we meet Friday?\n", "Thursday works."},
		{"gmail wrapped in three", "Yes.\n\nOn Mon, Mar 16, 2026 at 9:00 AM Bob Stone-Fitzgerald\nof Acme Corporation <\nb@x.example> wrote:\n> Friday?\n", "Yes."},
		{"french nbsp", "D'accord.\n\nLe lun. 16 mars 2026 à 09:00, Bob <b@x.example> a\u00a0écrit\u00a0:\n> Vendredi ?\n", "D'accord."},
		{"thunderbird short", "Sure.\n\nBob wrote:\n> Friday?", "Sure."},
		{"french short", "Oui.\n\nBob a écrit :\n> Vendredi ?", "Oui."},
		{"unquoted history after attribution", "Fine.\n\nOn Mon, Mar 16, 2026, Bob <b@x.example> wrote:\nCan we meet Friday?\n", "Fine."},
		{"attribution at the end", "Fine.\n\nOn Mon, Mar 16, 2026, Bob <b@x.example> wrote:", "Fine."},

		// Outlook.
		{"original message", "Fine.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n\nFriday?", "Fine."},
		{"message d'origine", "Oui.\n\n-----Message d'origine-----\nDe : Bob\nEnvoyé : lundi\n\nVendredi ?", "Oui."},
		{"underscores", "OK\n________________________________\nFrom: Bob\nSent: Monday\nTo: Ann\n\nFriday?", "OK"},
		{"french block", "Oui.\n\nDe : Bob <b@x.example>\nEnvoyé : lundi 16 mars 2026 08:40\nÀ : Inès\nObjet : Point\n\nVendredi ?", "Oui."},
		{"bold block", "Yes.\n\n*From:* Bob <b@x.example>\n*Sent:* Monday\n*To:* Ann\n*Subject:* Plan\n\nFriday?", "Yes."},
		{"german block", "Ja.\n\nVon: Bob\nGesendet: Montag\nAn: Ann\nBetreff: Plan\n\nFreitag?", "Ja."},

		// Quotes kept out wherever they are.
		{"quoted lines", "> old text\nnew text", "new text"},
		{"nested quotes", ">> older\n> old\n>> older\nnew", "new"},
		{"interleaved", "> Monday?\nNo.\n> Tuesday?\nYes.", "No.\nYes."},

		// Signatures.
		{"delimiter", "Friday at 3?\n\n-- \nBob\nOffice hours Mon-Fri 9-5", "Friday at 3?"},
		{"delimiter without its space", "Friday at 3?\n--\nBob", "Friday at 3?"},
		{"iphone", "Sure\n\nSent from my iPhone", "Sure"},
		{"envoyé de mon", "Oui\n\nEnvoyé de mon iPhone", "Oui"},
		{"outlook mobile", "Yes\n\nGet Outlook for Android", "Yes"},
		{"french outlook mobile", "Oui\n\nTélécharger Outlook pour iOS<https://aka.ms/o0ukef>", "Oui"},
		{"closing and name", "Friday at 3?\n\nBest,\nBob\nMobile 212-555-0199", "Friday at 3?\n\nBest,"},
		{"closing fr", "Vendredi à 15h ?\n\nBien cordialement,\nClaire Dubois\nHoraires : 9h-17h", "Vendredi à 15h ?\n\nBien cordialement,"},
		{"formule", "Vendredi ?\n\nJe vous prie d'agréer, Madame, mes salutations distinguées.\nJean Valjean", "Vendredi ?\n\nJe vous prie d'agréer, Madame, mes salutations distinguées."},
		{"closing then request", "Thanks!\nCan we meet Friday at 3pm?", "Thanks!\nCan we meet Friday at 3pm?"},
		{"closing then short request", "Thanks!\nFriday 3pm works", "Thanks!\nFriday 3pm works"},
		{"closing, name, then P.S.", "Friday?\n\nBest,\nBob\n\nP.S. Or Monday at 10?", "Friday?\n\nBest,\nBob\n\nP.S. Or Monday at 10?"},
		{"closing before a long block", "Cheers,\nA\nB\nC\nD\nE\nF\nG", "Cheers,\nA\nB\nC\nD\nE\nF\nG"},
		{"contact block", "Thursday works.\n\nBob Martin\nVP Sales | Partner Inc.\n+1 212 555 0199", "Thursday works."},
		{"no contact in the block", "Thursday works.\n\nBob Martin\nSee you then", "Thursday works.\n\nBob Martin\nSee you then"},
		{"disclaimer", "Friday.\n\nCONFIDENTIALITY NOTICE: this message is intended for its recipient only.", "Friday."},
		{"disclaimer fr", "Vendredi.\n\nCe courriel et ses pièces jointes sont confidentiels et destinés à leur seul destinataire.", "Vendredi."},
		{"environment", "Friday.\n\nPlease consider the environment before printing this e-mail.", "Friday."},
		{"banner", "[EXTERNAL] This email originated from outside the organization.\n\nFriday?", "Friday?"},

		// Forwards end the author's text (Read gives the forward apart).
		{"forward", "Can you find a time?\n\n---------- Forwarded message ---------\nFrom: Bob <b@x>\n\nNext week?", "Can you find a time?"},
		{"begin forwarded", "Please.\n\nBegin forwarded message:\n\nFrom: Bob <b@x>\n\nNext week?", "Please."},

		// Blank lines are made one; CRLF and invisible characters go.
		{"blank lines", "\r\n\r\nA\r\n\r\n\r\n\r\nB\r\n\r\n", "A\n\nB"},
		{"bom", "\ufeffFriday\u200b works", "Friday works"},
		{"empty", "", ""},
	} {
		if got := NewText(c.body); got != c.want {
			t.Errorf("%s: NewText = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestForwardSubjectDecides checks that Outlook's header block is a
// forward under "FW:" and a reply's history otherwise.
func TestForwardSubjectDecides(t *testing.T) {
	body := "Please set this up.\r\n\r\nFrom: Grace <grace@x.example>\r\nSent: Monday\r\nTo: Ann <ann@y.example>\r\nSubject: Prep\r\n\r\nCan we meet next week?\r\n"
	fw := readString(t, "From: ann@y.example\r\nSubject: FW: Prep\r\n\r\n"+body)
	if fw.Forward == nil || fw.Forward.NewText != "Can we meet next week?" || fw.Forward.From.Email != "grace@x.example" || fw.NewText != "Please set this up." {
		t.Errorf("FW: forward %+v, new text %q", fw.Forward, fw.NewText)
	}
	re := readString(t, "From: ann@y.example\r\nSubject: RE: FW: Prep\r\n\r\n"+body)
	if re.Forward != nil || re.NewText != "Please set this up." {
		t.Errorf("RE: forward %+v, new text %q", re.Forward, re.NewText)
	}
}

// TestRequestText: the request is read from the organizer's text and the
// forwarded text.
func TestRequestText(t *testing.T) {
	m := readFile(t, "gmail-forward-en")
	if got := m.RequestText(); !strings.HasPrefix(got, "Can you find us a time with Bob?") || !strings.Contains(got, "Let's meet next week") {
		t.Errorf("RequestText = %q", got)
	}
	m = readFile(t, "gmail-en-reply")
	if m.RequestText() != m.NewText {
		t.Error("RequestText of a reply is not its new text")
	}
	m.NewText = ""
	m.Forward = &Forward{NewText: "next week?"}
	if m.RequestText() != "next week?" {
		t.Error("RequestText of a bare forward")
	}
}

func TestUnflow(t *testing.T) {
	for _, c := range []struct {
		in    string
		delsp bool
		want  string
	}{
		{"one \r\ntwo \r\nthree\r\nfour\r\n", false, "one two three\nfour\n"},
		{"Jeudi  \r\nmatin\r\n", true, "Jeudi matin\n"},
		{"> quoted \r\n> more\r\nmine\r\n", false, "> quoted more\nmine\n"},
		{">> deep \r\n> shallow\r\n", false, ">> deep \n> shallow\n"},
		{" From stuffed\r\n  two spaces\r\n", false, "From stuffed\n two spaces\n"},
		{"text \r\n-- \r\nsig\r\n", false, "text \n-- \nsig\n"},
		{"-- \r\nsig\r\n", false, "-- \nsig\n"},
		{"flowed at the end ", false, "flowed at the end \n"},
	} {
		if got := unflow(c.in, c.delsp); got != c.want {
			t.Errorf("unflow(%q, %v) = %q, want %q", c.in, c.delsp, got, c.want)
		}
	}
}
