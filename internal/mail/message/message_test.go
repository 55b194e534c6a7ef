package message

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/messages")

// assistantAddr is the assistant's address in the test messages.
const assistantAddr = "assistant@convene.example"

// directory is the account's users in the test messages: two Claires make
// "Claire" ambiguous.
var directory = People{
	{Name: "Ann Lefebvre", Email: "ann@acme.example"},
	{Name: "Bob Martin", Email: "bob@partner.example"},
	{Name: "Claire Dubois", Email: "claire@acme.example"},
	{Name: "Claire Martin", Email: "claire.martin@acme.example"},
	{Name: "Marc Bonnet", Email: "marc.bonnet@acme.example"},
	{Name: "Théo Garcia", Email: "theo@acme.example"},
}

// render writes what Read found in the golden format: headers and keys,
// then the new text, then the forwarded message.
func render(m *Message) string {
	var b strings.Builder
	p := func(k string, v any) {
		s := fmt.Sprint(v)
		if s != "" && s != "[]" && s != "false" {
			fmt.Fprintf(&b, "%s: %s\n", k, s)
		}
	}
	addrs := func(l []Address) string {
		var s []string
		for _, a := range l {
			s = append(s, a.String())
		}
		return strings.Join(s, ", ")
	}
	p("message-id", m.Keys.MessageID)
	p("in-reply-to", strings.Join(m.Keys.InReplyTo, " "))
	p("references", strings.Join(m.Keys.References, " "))
	p("forwarded-ids", strings.Join(m.Keys.Forwarded, " "))
	p("thread-index", m.Keys.ThreadIndex)
	p("thread-subject", m.Keys.Subject)
	p("subject", m.Subject)
	p("topic", m.Topic)
	p("from", m.From.String())
	p("reply-to", addrs(m.ReplyTo))
	p("to", addrs(m.To))
	p("cc", addrs(m.Cc))
	if !m.Date.IsZero() {
		p("date", m.Date.Format(time.RFC3339))
	}
	p("content-language", strings.Join(m.ContentLanguage, " "))
	p("accept-language", strings.Join(m.AcceptLanguage, " "))
	p("language", m.Language)
	p("html", m.HTML)
	p("truncated", m.Truncated)
	if c := m.Calendar; c != nil {
		p("calendar", fmt.Sprintf("method=%s, %d bytes, begins %q", c.Method, len(c.Data), firstLine(string(c.Data))))
	}
	for _, a := range m.Attachments {
		p("attachment", fmt.Sprintf("%q %s", a.Filename, a.ContentType))
	}
	at := m.Attendees([]string{assistantAddr}, directory)
	for _, a := range at.List {
		p("attendee", fmt.Sprintf("%s (%s)", Address{a.Name, a.Email}, a.Source))
	}
	for _, a := range at.Ambiguous {
		var c []string
		for _, x := range a.Candidates {
			c = append(c, x.Email)
		}
		p("ambiguous", a.Name+": "+strings.Join(c, ", "))
	}
	p("unknown", strings.Join(at.Unknown, ", "))
	b.WriteString("=== new text\n")
	b.WriteString(m.NewText)
	b.WriteString("\n")
	if f := m.Forward; f != nil {
		b.WriteString("=== forward\n")
		p("from", f.From.String())
		p("date", f.Date)
		if !f.DateTime.IsZero() {
			p("date-time", f.DateTime.Format(time.RFC3339))
		}
		p("subject", f.Subject)
		p("to", addrs(f.To))
		p("cc", addrs(f.Cc))
		p("message-id", f.MessageID)
		p("language", f.Language)
		b.WriteString("=== forward new text\n")
		b.WriteString(f.NewText)
		b.WriteString("\n")
	}
	return b.String()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// expectations are checked besides the golden files, so that an -update
// cannot bless a regression on what matters: text that must be in the new
// text (the request), text that must not (history, signature), and the
// forwarded text.
var expectations = map[string]struct {
	keep, drop, fwdKeep []string
	lang                string
}{
	"gmail-en-reply":           {keep: []string{"Thursday afternoon works for me, ideally after 2pm. Could we do it on Zoom?"}, drop: []string{"wrote:", "Could we find an hour"}, lang: "en"},
	"gmail-en-wrapped":         {keep: []string{"Monday at 9:30 or Tuesday at 4pm"}, drop: []string{"wrote:", "design review", "ann.lefebvre"}, lang: "en"},
	"gmail-fr-reply":           {keep: []string{"Jeudi 5 mars à 14h me convient très bien. Sinon vendredi matin.", "Bien à vous,"}, drop: []string{"a écrit", "Pourriez-vous", "Claire\n"}, lang: "fr"},
	"gmail-html-only":          {keep: []string{"Next Tuesday at 10 works & I'll bring the latest deck."}, drop: []string{"Monday at 3pm", "Friday at 9am", "+1 212", "wrote:"}, lang: "en"},
	"gmail-forward-en":         {keep: []string{"Can you find us a time with Bob? 45 minutes, on Teams."}, drop: []string{"Forwarded", "contract"}, fwdKeep: []string{"Let's meet next week to go through the contract."}, lang: "en"},
	"gmail-forward-fr":         {keep: []string{"Peux-tu nous trouver un créneau d'une heure, en présentiel ?"}, drop: []string{"transféré", "16 mars"}, fwdKeep: []string{"la semaine du 16 mars", "Plutôt le matin"}, lang: "fr"},
	"outlook-desktop-en":       {keep: []string{"Thursday 10-11am or Friday after lunch would work."}, drop: []string{"Wednesday at 11", "From:", "Sent:"}, lang: "en"},
	"outlook-desktop-fr":       {keep: []string{"Je préfère mardi 10 mars à 9h30, pour une heure. Lundi c’est compliqué.", "Cordialement,"}, drop: []string{"Tél.", "lundi prochain", "Envoyé"}, lang: "fr"},
	"outlook-original-message": {keep: []string{"Any time Friday morning Central works for me."}, drop: []string{"Original Message", "Thursday at 3pm"}, lang: "en"},
	"outlook-web":              {keep: []string{"Happy to. Wednesday 11 March at 16:00 London time?"}, drop: []string{"____", "30-minute", "From:"}, lang: "en"},
	"outlook-html-only-fr":     {keep: []string{"Je propose plutôt mercredi 11 mars entre 14h et 16h, en visio sur Teams."}, drop: []string{"jeudi à 10h", "De :", "Responsable achats"}, lang: "fr"},
	"outlook-forward-en":       {keep: []string{"Please set this up for the three of us, one hour, any afternoon next week."}, drop: []string{"board deck"}, fwdKeep: []string{"prepare the board deck together before the 20th"}, lang: "en"},
	"outlook-forward-fr":       {keep: []string{"Peux-tu organiser ça avec Marc et Claire, une demi-journée ?"}, drop: []string{"séminaire"}, fwdKeep: []string{"avant fin mars, idéalement un jeudi"}, lang: "fr"},
	"outlook-mac":              {keep: []string{"Tuesday 9am JST works for me."}, drop: []string{"Early next week", "From:"}, lang: "en"},
	"apple-mail-en":            {keep: []string{"the 12th at 2:30pm is perfect. Shall we say 90 minutes?"}, drop: []string{"the 10th or the 12th", "wrote:"}, lang: "en"},
	"apple-mail-fr":            {keep: []string{"Mardi 10 mars à 11h, ça me va très bien."}, drop: []string{"a écrit", "l’atelier"}, lang: "fr"},
	"apple-forward-en":         {keep: []string{"Find a slot for this please."}, drop: []string{"coffee"}, fwdKeep: []string{"catch up over coffee before the end of the month. Mornings are best."}, lang: "en"},
	"apple-forward-fr-html":    {keep: []string{"Tu peux caler ce déjeuner, s'il te plaît ?"}, drop: []string{"réexpédié", "mardi ou jeudi"}, fwdKeep: []string{"Un déjeuner la semaine prochaine, mardi ou jeudi ?"}, lang: "fr"},
	"iphone-reply":             {keep: []string{"Friday 8am works, see you on site."}, drop: []string{"iPhone", "Thursday or Friday"}, lang: "en"},
	"iphone-fr":                {keep: []string{"Vendredi 9h c’est parfait pour moi."}, drop: []string{"iPhone", "jeudi ou vendredi"}, lang: "fr"},
	"thunderbird-en":           {keep: []string{"I could do Wednesday the 11th from 13:00 to 14:30, or any time on the Thursday after that. The lab is booked on Monday so that day is out."}, drop: []string{"wrote:", "projector", "Lab manager"}, lang: "en"},
	"thunderbird-fr":           {keep: []string{"Je serais disponible mercredi après-midi, à partir de 14 h, ou jeudi matin avant 11 h."}, drop: []string{"a écrit", "semaine prochaine"}, lang: "fr"},
	"thunderbird-forward-en":   {keep: []string{"Please schedule this with Nora, two hours."}, drop: []string{"Forwarded", "16 March"}, fwdKeep: []string{"We should hold the audit kickoff in the week of 16 March. Any day but Wednesday."}, lang: "en"},
	"thunderbird-forward-fr":   {keep: []string{"Merci de trouver un créneau pour ce comité."}, drop: []string{"transféré", "avril"}, fwdKeep: []string{"Il faudrait réunir le comité de pilotage début avril, une matinée."}, lang: "fr"},
	"thunderbird-html":         {keep: []string{"Monday 16th at 10:00 for the budget, 30 minutes is enough."}, drop: []string{"wrote:", "next week", "Lab manager"}, lang: "en"},
	"latin1-body":              {keep: []string{"Pour la réunion, je propose jeudi 12 mars à 15h, à nos bureaux.", "Prévoyez une heure et demie."}, drop: []string{"\uFFFD"}, lang: "fr"},
	"windows-1252-body":        {keep: []string{"That’s fine – let’s say Friday at 11:30, it’s the “budget” slot (€ 2k approved)."}, drop: []string{"\u0092", "\uFFFD"}, lang: "en"},
	"iso-8859-15":              {keep: []string{"Le devis est à 1 200 €. On en parle lundi 9 mars à 10h ?"}, drop: []string{"¤"}, lang: "fr"},
	"quoted-printable":         {keep: []string{"from 9:00 to 12:00 — three hours with a break. Café and croissants on us."}, drop: []string{"=\n", "When can we"}, lang: "en"},
	"base64":                   {keep: []string{"Wednesday at 4:30pm for 20 minutes works. Talk then."}, drop: []string{"Quick call"}, lang: "en"},
	"format-flowed":            {keep: []string{"For the retreat I would suggest the first week of May, three days, somewhere reachable by train. Monday to Wednesday would suit the whole team."}, drop: []string{"spring", "before summer"}, lang: "en"},
	"bottom-post":              {keep: []string{"Wednesday at 10 is better for me."}, drop: []string{"Tuesday at 2pm", "Old Timer", "wrote:"}, lang: "en"},
	"interleaved":              {keep: []string{"Monday is bad, I'm travelling.", "Tuesday after 3pm works.", "Yes please."}, drop: []string{"Can we meet on Monday?", "writes:"}, lang: "en"},
	"thursday-works":           {keep: []string{"Thursday works"}, drop: []string{"Tuesday 10 March", "quarterly"}, lang: "en"},
	"signature-delimiter":      {keep: []string{"Friday at 3pm?"}, drop: []string{"Office hours", "Wednesdays"}, lang: "en"},
	"closing-name-block":       {keep: []string{"Let's do the pricing call on Wednesday morning, 9 to 10 Eastern.", "Best regards,"}, drop: []string{"Mobile", "Mon-Thu", "Head of Sales"}, lang: "en"},
	"closing-keeps-request":    {keep: []string{"Thanks!", "Could we meet on Friday at 3pm instead, for 30 minutes?", "P.S. Dana can join too."}, lang: "en"},
	"disclaimer-en":            {keep: []string{"Tuesday the 10th at 11am GMT works for the credit line discussion."}, drop: []string{"confidential", "Friday at 9am"}, lang: "en"},
	"disclaimer-fr":            {keep: []string{"Je vous propose mardi 10 mars à 11h dans nos locaux."}, drop: []string{"confidentiels", "****"}, lang: "fr"},
	"external-banner":          {keep: []string{"Monday 9 March at 2pm works for the delivery review."}, drop: []string{"CAUTION", "outside of the organization"}, lang: "en"},
	"encoded-subject":          {keep: []string{"Jeudi 15h ?"}, lang: "fr"},
	"calendar-reply":           {keep: []string{"Bob Martin has accepted this invitation."}, lang: "en"},
	"calendar-counter-outlook": {keep: []string{"Could we push this to 4pm?"}, lang: "en"},
	"attachment-pdf":           {keep: []string{"Could we meet Monday 16 March at 11:00 to go through it?"}, drop: []string{"Friday at 9am", "PDF"}, lang: "en"},
	"forward-as-attachment":    {keep: []string{"See attached - please find 30 minutes for the two of us next week."}, fwdKeep: []string{"Any afternoon works for me — except Friday."}, lang: "en"},
	"group-idn":                {keep: []string{"let's have a project sync next week, one hour."}, lang: "en"},
	"html-stub-plain":          {keep: []string{"Our team would like a product demo on Wednesday 11 March at 3pm.", "- 45 minutes"}, drop: []string{"HTML capable"}, lang: "en"},
	"outlook-ios":              {keep: []string{"Thursday 12:30 at the usual place?"}, drop: []string{"Get Outlook", "Lunch next week", "____"}, lang: "en"},
	"names-directory":          {keep: []string{"with Bob, Claire and Zoltan"}, lang: "en"},
	"mislabelled-ascii":        {keep: []string{"Déjeuner avec Théo jeudi midi ?"}, lang: "fr"},
	"guest-reply-to-forward":   {keep: []string{"Great, Tuesday morning is best for me."}, drop: []string{"contract"}, lang: "en"},
	"outlook-forward-html-fr":  {keep: []string{"Peux-tu organiser la visite avec eux, deux heures, un matin ?"}, drop: []string{"23 mars", "De :"}, fwdKeep: []string{"Nous pourrions vous recevoir la semaine du 23 mars, plutôt le mardi ou le jeudi."}, lang: "fr"},
	"gmail-fr-wrapped":         {keep: []string{"Plutôt après-demain en fin de journée, vers 17h30."}, drop: []string{"écrit", "demain matin"}, lang: "fr"},
	"new-outlook-html":         {keep: []string{"Next Monday 10:00-11:00 CET is fine with me."}, drop: []string{"Friday at 2pm", "Program Manager", "From:"}, lang: "en"},
	"yahoo-html":               {keep: []string{"Coffee on Wednesday at 8:30 sounds good!"}, drop: []string{"Monday or Wednesday", "wrote:"}, lang: "en"},
}

// TestGolden reads every message of testdata/messages and compares what
// Read found with its golden file (go test -run TestGolden -update
// rewrites them), and checks the expectations above.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/messages/*.eml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("%d test messages, want at least 40", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Read(raw, Options{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			got := render(m)
			golden := strings.TrimSuffix(f, ".eml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("no golden file (run with -update): %v", err)
			}
			if got != string(want) {
				t.Errorf("differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			e, ok := expectations[name]
			if !ok {
				t.Fatalf("no expectations for %s", name)
			}
			for _, k := range e.keep {
				if !strings.Contains(m.NewText, k) {
					t.Errorf("new text lost %q:\n%s", k, m.NewText)
				}
			}
			for _, k := range e.drop {
				if strings.Contains(m.NewText, k) {
					t.Errorf("new text kept %q:\n%s", k, m.NewText)
				}
			}
			for _, k := range e.fwdKeep {
				if m.Forward == nil || !strings.Contains(m.Forward.NewText, k) {
					t.Errorf("forwarded text lost %q: %+v", k, m.Forward)
				}
			}
			if len(e.fwdKeep) == 0 && m.Forward != nil {
				t.Errorf("a forward found where there is none: %+v", m.Forward)
			}
			if string(m.Language) != e.lang {
				t.Errorf("language %s, want %s", m.Language, e.lang)
			}
		})
	}
	for name := range expectations {
		if !seen[name] {
			t.Errorf("expectations for %s, which has no message", name)
		}
	}
}
