package message

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// line is one line of a body, from text/plain or from HTML.
type line struct {
	text  string // without its quote markers
	depth int    // quote depth: leading ">" in text, blockquote nesting in HTML
	hist  int    // nesting of HTML quoted-history containers (gmail_quote, moz-cite-prefix…)
	cut   bool   // starts an HTML container of quoted history that runs to the end (Outlook)
}

// NewText returns the text the author of a plain-text e-mail body wrote:
// without quoted history, forwarded message or signature. Its signature
// fits understand.EmailOptions.NewText. Read does the same for a whole
// message, HTML included, and keeps the forwarded message apart.
func NewText(body string) string {
	own, _ := split(plainLines(body), false, false)
	return clean(own)
}

// plainLines splits a text/plain body into lines and reads their quote
// depth.
func plainLines(s string) []line {
	s = lineBreaks.Replace(s)
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	raw := strings.Split(s, "\n")
	out := make([]line, 0, len(raw))
	for _, r := range raw {
		d, t := quoteDepth(r)
		out = append(out, line{text: strings.TrimRight(t, " \t"), depth: d})
	}
	return out
}

// lineBreaks makes every line break "\n" and removes the invisible
// characters clients leave in text (a byte order mark inside the text,
// Outlook for Mac's; zero-width spaces).
var lineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\ufeff", "", "\u200b", "")

// quoteDepth counts the ">" that start a line (">>", "> >") and returns the
// rest without the space after them.
func quoteDepth(s string) (int, string) {
	d, i := 0, 0
	for i < len(s) && s[i] == '>' {
		d++
		i++
		if i+1 < len(s) && s[i] == ' ' && s[i+1] == '>' {
			i++
		}
	}
	if d > 0 && i < len(s) && s[i] == ' ' {
		i++
	}
	return d, s[i:]
}

// linesText writes lines back as text, quoted lines with "> " per level,
// runs of blank lines made one.
func linesText(ls []line) string {
	var b strings.Builder
	blank := true
	for _, l := range ls {
		t := strings.TrimRight(l.text, " \t")
		if strings.TrimSpace(t) == "" && l.depth == 0 {
			if !blank {
				b.WriteByte('\n')
			}
			blank = true
			continue
		}
		blank = false
		if l.depth > 0 {
			b.WriteString(strings.Repeat(">", l.depth))
			if t != "" {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// norm prepares a line for matching: no-break spaces as spaces, trimmed,
// Markdown-like bold stars around a leading field name removed ("*From:*").
func norm(s string) string {
	if strings.ContainsRune(s, '\u00a0') || strings.ContainsRune(s, '\u202f') {
		s = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)
	}
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "*") {
		s = strings.TrimLeft(s, "*")
		if i := strings.Index(s, ":*"); i >= 0 && i < 30 {
			s = s[:i+1] + strings.TrimLeft(s[i+1:], "*")
		}
	}
	return s
}

// split separates the author's own lines from quoted history, and finds a
// forwarded message (Read's fwdSubject says the Subject starts with a
// forward prefix, which makes Outlook's header block a forward rather
// than a reply's history). With parseFwd false a forward ends the own text
// but is not read (a forward inside a forward is not read).
//
// Quoted lines (">" or blockquote) are dropped wherever they are, so the
// author's text below or between them stays (bottom-posting,
// interleaving). An attribution line ("On … wrote:") followed by quoted
// lines is dropped with them; followed by unquoted text it starts history
// that runs to the end, like Outlook's header blocks and separators.
func split(ls []line, fwdSubject, parseFwd bool) (own []line, fwd *Forward) {
	forward := func(rest []line, firstCut bool) {
		if parseFwd {
			fwd = parseForward(rest, firstCut)
		}
	}
	// quoteStart: the previous line with text was the author's own (not
	// quoted, not an attribution): a quote that starts here with a forward
	// line is a forwarded message (Apple Mail puts it in a blockquote),
	// not the history of a reply.
	quoteStart := true
	for i := 0; i < len(ls); i++ {
		l := ls[i]
		if l.hist > 0 {
			// An HTML quote container: history, or (Gmail, Thunderbird)
			// a forwarded message when it starts with a forward line.
			end := i
			for end < len(ls) && ls[end].hist > 0 {
				end++
			}
			if k := nextText(ls[:end], i); k >= 0 && isForwardMarker(norm(ls[k].text)) {
				forward(ls[k+1:end], false)
				return own, fwd
			}
			i, quoteStart = end-1, false
			continue
		}
		t := norm(l.text)
		if l.depth > 0 {
			if t != "" {
				if quoteStart && isForwardMarker(t) {
					forward(ls[i+1:], false)
					return own, fwd
				}
				quoteStart = false
			}
			continue
		}
		if l.cut {
			if fwdSubject {
				forward(ls[i:], true)
			}
			break
		}
		if t == "" {
			own = append(own, l)
			continue
		}
		switch {
		case isForwardMarker(t):
			forward(ls[i+1:], false)
			return own, fwd
		case isOriginalMessage(t):
			if fwdSubject {
				forward(ls[i+1:], false)
			}
			return own, fwd
		case isUnderscoreLine(t):
			if k := nextText(ls, i+1); k >= 0 && k <= i+3 && headerBlock(ls, k) {
				if fwdSubject {
					forward(ls[k:], false)
				}
				return own, fwd
			}
		case headerBlock(ls, i):
			if fwdSubject {
				forward(ls[i:], false)
			}
			return own, fwd
		}
		if n := attribution(ls, i); n > 0 {
			k := nextText(ls, i+n)
			if k < 0 || ls[k].depth > 0 || ls[k].hist > 0 {
				i += n - 1 // dropped with the quoted lines that follow
				quoteStart = false
				continue
			}
			return own, fwd
		}
		quoteStart = true
		own = append(own, l)
	}
	return own, fwd
}

// nextText returns the index of the first line at or after i with text,
// -1 if none.
func nextText(ls []line, i int) int {
	for ; i < len(ls); i++ {
		if strings.TrimSpace(strings.ReplaceAll(ls[i].text, "\u00a0", " ")) != "" {
			return i
		}
	}
	return -1
}

// attribution returns the number of lines (1 to 3: Gmail wraps it) of the
// attribution line that introduces a quoted message at line i, 0 if there
// is none: "On Mon, Mar 2, 2026 at 10:00 AM Ann <ann@x> wrote:", "On 2 Mar
// 2026, at 10:00, Ann <ann@x> wrote:" (Apple Mail), "On 3/2/26 10:00 AM,
// Ann wrote:" (Thunderbird), "Le lun. 2 mars 2026 à 10:00, Ann <ann@x> a
// écrit :" (Gmail, Apple Mail and Thunderbird in French), "Ann a écrit :".
func attribution(ls []line, i int) int {
	first := norm(ls[i].text)
	if len(first) > 300 {
		return 0
	}
	opener := hasAnyPrefixFold(first, "on ", "le ", "am ", "el ", "il ", "op ", "den ", "em ")
	if !opener && !strings.HasSuffix(first, ":") && !strings.Contains(first, "<") {
		return 0 // most lines: no work beyond this
	}
	low := strings.ToLower(first)
	joined := low
	for n := 1; n <= 3; n++ {
		if attributionEnd(joined) && (opener || strings.Contains(joined, "@") || strings.IndexFunc(joined, unicode.IsDigit) >= 0 || n == 1 && len(joined) <= 80) {
			return n
		}
		if i+n >= len(ls) || ls[i+n].depth != ls[i].depth || !(opener || strings.Contains(low, "<")) {
			return 0
		}
		next := strings.ToLower(norm(ls[i+n].text))
		if next == "" || len(joined) > 400 {
			return 0
		}
		joined += " " + next
	}
	return 0
}

// attributionEnd reports whether a (lower-case) line ends like an
// attribution.
func attributionEnd(s string) bool {
	s = strings.TrimRight(s, " ")
	for _, suf := range []string{"wrote:", "wrote :", "writes:", "schreibt:", "a écrit :", "a écrit:", "a ecrit :", "a ecrit:", "écrit :", "ecrit :", "écrivait :", "schrieb:", "escribió:", "scritto:", "schreef:"} {
		if strings.HasSuffix(s, suf) {
			return true
		}
	}
	return false
}

// hasAnyPrefixFold is hasAnyPrefix, case aside, without allocating.
func hasAnyPrefixFold(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// dashFree returns a line without the dashes and spaces around it, lower
// case, and whether it had leading dashes.
func dashFree(t string) (string, bool) {
	s := strings.TrimLeft(t, "-–— ")
	dashed := len(s) < len(t)
	s = strings.TrimRight(s, "-–— ")
	return strings.ToLower(s), dashed
}

// isForwardMarker reports whether a line starts a forwarded message:
// Gmail's "---------- Forwarded message ---------" (also in French,
// "Message transféré"), Thunderbird's "-------- Forwarded Message --------"
// and "-------- Message transféré --------", Apple Mail's "Begin forwarded
// message:" and "Début du message réexpédié :".
func isForwardMarker(t string) bool {
	if len(t) > 80 || !strings.HasPrefix(t, "-") && !strings.HasPrefix(t, "—") && !strings.HasSuffix(t, ":") {
		return false
	}
	s, dashed := dashFree(t)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), ":"))
	switch s {
	case "forwarded message", "message transféré", "message transfere", "weitergeleitete nachricht", "mensaje reenviado", "messaggio inoltrato",
		"doorgestuurd bericht", "message réexpédié":
		return dashed || strings.HasSuffix(t, ":")
	case "begin forwarded message", "début du message réexpédié", "debut du message reexpedie", "début du message transféré",
		"anfang der weitergeleiteten nachricht", "inicio del mensaje reenviado":
		return true
	}
	return false
}

// isOriginalMessage reports whether a line is Outlook's separator
// "-----Original Message-----" ("-----Message d'origine-----",
// "-----Ursprüngliche Nachricht-----"), which starts the history of a reply
// and the message of a forward alike.
func isOriginalMessage(t string) bool {
	if len(t) > 80 || !strings.HasPrefix(t, "-") && !strings.HasPrefix(t, "—") && !strings.HasPrefix(t, "–") {
		return false
	}
	s, dashed := dashFree(t)
	if !dashed {
		return false
	}
	switch strings.TrimSpace(s) {
	case "original message", "message d'origine", "message d’origine", "ursprüngliche nachricht", "mensaje original", "messaggio originale":
		return true
	}
	return false
}

func isUnderscoreLine(t string) bool {
	return len(t) >= 10 && strings.Trim(t, "_") == ""
}

// Field names of quoted and forwarded header blocks, by client language.
var fieldNames = map[string]string{
	"from": "from", "de": "from", "von": "from", "expéditeur": "from", "expediteur": "from", "van": "from", "da": "from",
	"sent": "date", "date": "date", "envoyé": "date", "envoye": "date", "gesendet": "date", "datum": "date", "date d'envoi": "date",
	"envoyé le": "date", "verzonden": "date", "enviado": "date", "fecha": "date", "data": "date",
	"to": "to", "à": "to", "a": "to", "pour": "to", "an": "to", "destinataire": "to", "destinataires": "to", "aan": "to", "para": "to",
	"cc": "cc", "copie à": "cc", "copie": "cc", "kopie": "cc", "cc :": "cc",
	"subject": "subject", "objet": "subject", "sujet": "subject", "betreff": "subject", "onderwerp": "subject", "asunto": "subject", "oggetto": "subject",
	"reply-to": "other", "répondre à": "other", "importance": "other", "attachments": "other", "pièces jointes": "other",
}

// field reads "Name: value" (also "Name : value", "*Name:* value") and
// returns the field's role (from, date, to, cc, subject, other).
func field(t string) (role, value string, ok bool) {
	i := strings.IndexByte(t, ':')
	if i <= 0 || i > 24 {
		return "", "", false
	}
	name := strings.ToLower(strings.TrimSpace(strings.Trim(t[:i], "* \t")))
	role, ok = fieldNames[name]
	if !ok {
		return "", "", false
	}
	return role, strings.TrimSpace(strings.Trim(strings.TrimSpace(t[i+1:]), "*")), true
}

// headerBlock reports whether line i starts the header block Outlook puts
// above a quoted or forwarded message: "From:" (or "De :", "Von:") followed
// within six lines by "Sent:"/"Date:" ("Envoyé :") and "To:" or "Subject:"
// ("À :", "Objet :").
func headerBlock(ls []line, i int) bool {
	role, _, ok := field(norm(ls[i].text))
	if !ok || role != "from" {
		return false
	}
	date, other := false, false
	for k := i + 1; k < len(ls) && k <= i+6; k++ {
		r, _, ok := field(norm(ls[k].text))
		if !ok {
			continue
		}
		switch r {
		case "date":
			date = true
		case "to", "subject", "cc":
			other = true
		}
	}
	return date && other
}

// clean turns the author's own lines into text: the signature (after "-- "),
// mobile signatures ("Sent from my iPhone"), an external-sender banner on
// top, a legal disclaimer at the bottom and the name block after a closing
// go; blank lines are made one.
func clean(own []line) string {
	out := make([]string, 0, len(own))
	for _, l := range own {
		t := strings.TrimRight(l.text, " \t")
		tt := norm(t)
		if tt == "--" || tt == "-- " {
			break
		}
		if isMobileSignature(tt) {
			continue
		}
		out = append(out, t)
	}
	out = trimBlank(out)
	for len(out) > 0 && isUnderscoreLine(norm(out[len(out)-1])) {
		out = trimBlank(out[:len(out)-1])
	}
	out = dropBanner(out)
	out = cutDisclaimer(out)
	out = dropNameBlock(out)
	out = dropContactBlock(out)
	var b strings.Builder
	blank := false
	for _, t := range trimBlank(out) {
		if strings.TrimSpace(t) == "" {
			blank = true
			continue
		}
		if blank && b.Len() > 0 {
			b.WriteByte('\n')
		}
		blank = false
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t)
	}
	return b.String()
}

func trimBlank(out []string) []string {
	for len(out) > 0 && strings.TrimSpace(norm(out[0])) == "" {
		out = out[1:]
	}
	for len(out) > 0 && strings.TrimSpace(norm(out[len(out)-1])) == "" {
		out = out[:len(out)-1]
	}
	return out
}

// isMobileSignature reports whether a line is the signature a mail app adds
// ("Sent from my iPhone", "Envoyé de mon iPhone", "Get Outlook for iOS").
func isMobileSignature(t string) bool {
	if len(t) > 80 || strings.Contains(t, "?") {
		return false
	}
	if !hasAnyPrefixFold(t, "sent ", "get ", "envoy", "obtenir", "télécharger", "provenance", "von ", "enviado") {
		return false
	}
	low := strings.ToLower(strings.ReplaceAll(t, "’", "'"))
	for _, p := range []string{"sent from my ", "sent from mail for ", "sent from outlook", "sent from yahoo mail", "sent from the all new aol",
		"sent from samsung", "sent from gmail", "sent with proton", "sent via ", "sent using ", "get outlook for ", "envoyé de mon ",
		"envoye de mon ", "envoyé depuis mon ", "envoyé depuis l'application", "envoyé à partir de ", "envoyé avec ", "envoyé de l'",
		"obtenir outlook pour ", "télécharger outlook pour ", "provenance : courrier pour windows", "von meinem iphone gesendet",
		"von meinem ipad gesendet", "enviado desde mi "} {
		if strings.HasPrefix(low, p) {
			return len(strings.Fields(low)) <= 10
		}
	}
	return false
}

// dropBanner removes the "external sender" warning a mail server puts on
// top of a message, when it is a paragraph of its own.
func dropBanner(out []string) []string {
	if len(out) == 0 {
		return out
	}
	end := 0
	for end < len(out) && strings.TrimSpace(out[end]) != "" && end < 6 {
		end++
	}
	para := strings.ToLower(norm(strings.Join(out[:end], " ")))
	if !hasAnyPrefix(para, "caution:", "caution :", "external email", "[external]", "external sender", "attention :", "attention:",
		"warning: this email originated", "this email originated from outside", "ce courriel provient de l", "ce message provient de l",
		"courriel externe", "message externe", "[externe]", "[ext]") {
		return out
	}
	if !strings.Contains(para, "outside") && !strings.Contains(para, "external") && !strings.Contains(para, "extérieur") && !strings.Contains(para, "externe") {
		return out
	}
	if end == len(out) {
		return out // the banner is all there is: keep it rather than nothing
	}
	return trimBlank(out[end:])
}

// cutDisclaimer cuts a legal disclaimer: a paragraph (after a blank line)
// that opens like one ("This e-mail and any attachments…", "Ce message et
// ses pièces jointes…", "CONFIDENTIALITY NOTICE") and says what one says
// (confidential, intended recipient, destinataire…), and all that follows.
func cutDisclaimer(out []string) []string {
	for p := 1; p < len(out); p++ {
		if strings.TrimSpace(out[p-1]) != "" || strings.TrimSpace(out[p]) == "" {
			continue
		}
		end := p
		for end < len(out) && end < p+12 && strings.TrimSpace(out[end]) != "" {
			end++
		}
		para := strings.ToLower(norm(strings.Join(out[p:end], " ")))
		para = strings.TrimLeft(para, "*=_-# ")
		if !hasAnyPrefix(para, "this e-mail", "this email", "this message", "this communication", "this transmission",
			"the information contained", "the information in this", "confidentiality notice", "confidentiality:", "confidential:",
			"confidential -", "disclaimer", "important notice", "important:", "legal notice", "privileged", "please consider the environment",
			"please think before you print", "ce message", "ce courriel", "ce mail", "ce e-mail", "ce courrier", "les informations contenues",
			"avertissement", "avis de confidentialité", "mention légale", "confidentialité", "pensez à l'environnement",
			"merci de penser à l'environnement", "n'imprimez ce", "afin de contribuer au respect de l'environnement") {
			continue
		}
		for _, k := range []string{"confidential", "intended", "privileged", "recipient", "confidentiel", "destinataire", "environment",
			"environnement", "unauthori", "interdit", "imprimer", "printing", "disclaimer", "avertissement"} {
			if strings.Contains(para, k) {
				return trimBlank(out[:p])
			}
		}
	}
	return out
}

// closings are the formulas that end a message.
var closings = map[string]bool{
	"best": true, "best regards": true, "best wishes": true, "kind regards": true, "regards": true, "warm regards": true, "warmly": true,
	"cheers": true, "thanks": true, "thank you": true, "many thanks": true, "thanks again": true, "thanks so much": true, "thanks a lot": true,
	"thx": true, "sincerely": true, "yours sincerely": true, "yours truly": true, "yours": true, "all the best": true, "talk soon": true,
	"speak soon": true, "take care": true, "with thanks": true, "with best regards": true, "kindest regards": true, "best,": true,
	"cordialement": true, "bien cordialement": true, "très cordialement": true, "bien à vous": true, "bien a vous": true, "amicalement": true,
	"bien amicalement": true, "amitiés": true, "merci": true, "merci beaucoup": true, "merci d'avance": true, "merci par avance": true,
	"merci à vous": true, "bonne journée": true, "bonne soirée": true, "belle journée": true, "à bientôt": true, "a bientot": true,
	"à plus": true, "bises": true, "bisous": true, "salutations": true, "sincères salutations": true, "meilleures salutations": true,
	"cdlt": true, "cdt": true, "bàv": true,
}

// isClosing reports whether a line is a closing formula ("Best,", "Bien
// cordialement,", "Je vous prie d'agréer…").
func isClosing(t string) bool {
	l := strings.ToLower(strings.TrimRight(norm(t), ",.!- "))
	l = strings.ReplaceAll(l, "’", "'")
	if closings[l] {
		return true
	}
	return hasAnyPrefix(l, "je vous prie d", "veuillez agréer", "veuillez recevoir", "recevez, ")
}

// isNameLine reports whether a line looks like a signed name: one to four
// words, each capitalised ("Bob", "Claire Dubois", "Jean-Pierre L."), no
// digits.
func isNameLine(t string) bool {
	t = strings.TrimLeft(norm(t), "-–— ")
	words := strings.Fields(t)
	if len(words) == 0 || len(words) > 4 {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) {
			return false
		}
		for _, c := range w {
			if !unicode.IsLetter(c) && c != '-' && c != '.' && c != '\'' && c != '’' {
				return false
			}
		}
	}
	return true
}

// dropNameBlock removes the name block under a closing at the end ("Best,"
// then "Bob", a title, a phone number): at most six short lines, the first
// a name, none a question. The closing stays, and nothing is removed when
// what follows the closing is not such a block: the request may be there
// ("Thanks!\nCan we meet Friday?").
func dropNameBlock(out []string) []string {
	end := len(out)
	for c := end - 1; c >= 0 && end-c <= 10; c-- {
		if !isClosing(out[c]) {
			continue
		}
		var block []string
		for _, t := range out[c+1 : end] {
			if strings.TrimSpace(t) != "" {
				block = append(block, norm(t))
			}
		}
		if len(block) == 0 || len(block) > 6 || !isNameLine(block[0]) {
			return out
		}
		for _, t := range block {
			if utf8.RuneCountInString(t) > 60 || strings.Contains(t, "?") {
				return out
			}
		}
		return out[:c+1]
	}
	return out
}

// dropContactBlock removes a signature block with no closing above it: the
// last paragraph, when it starts with a name and has a line of contact
// details (a phone number, a web or mail address), six lines at most.
func dropContactBlock(out []string) []string {
	end := len(out)
	p := end
	for p > 0 && strings.TrimSpace(out[p-1]) != "" {
		p--
	}
	if p == 0 || end-p < 2 || end-p > 6 || !isNameLine(out[p]) {
		return out
	}
	contact := false
	for _, t := range out[p+1 : end] {
		t = norm(t)
		if strings.Contains(t, "?") || utf8.RuneCountInString(t) > 80 {
			return out
		}
		digits := 0
		for _, c := range t {
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		low := strings.ToLower(t)
		if digits >= 7 || strings.Contains(low, "www.") || strings.Contains(low, "http") || strings.Contains(t, "@") || strings.Contains(t, " | ") {
			contact = true
		}
	}
	if !contact {
		return out
	}
	return trimBlank(out[:p])
}
