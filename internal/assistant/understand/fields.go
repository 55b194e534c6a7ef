package understand

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxSubject is the longest subject taken from a text, in characters
// (Zoom's topic limit).
const maxSubject = 200

// subject returns the phrase after "about", "regarding", "to discuss",
// "pour parler de", "au sujet de", "concernant", "faire le point sur"...:
// up to a date, a provider, a person or punctuation, without its leading
// article, first letter in capitals.
func (p *parser) subject() string {
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tkWord {
			continue
		}
		k := -1
		switch t.text {
		case "about", "regarding", "concerning", "concernant":
			k = i + 1
		case "discuss":
			k = i + 1
		case "re":
			if p.punct(i+1, ':') && i == 0 {
				k = i + 2
			}
		case "parler", "discuter", "traiter":
			if p.wAny(i+1, "de", "du", "des", "d") {
				k = i + 1
			}
		case "sujet", "propos":
			if p.w(i-1, "au") || p.w(i-1, "a") {
				k = i + 1
			}
		case "point":
			if p.w(i+1, "sur") && p.w(i-1, "le") {
				k = i + 2
			}
		case "topic":
			if p.w(i+1, "of") {
				k = i + 2
			}
		}
		if k < 0 {
			continue
		}
		if s := p.phrase(k); s != "" {
			return s
		}
	}
	return ""
}

var articles = map[string]bool{"the": true, "a": true, "an": true, "our": true, "my": true, "your": true, "le": true, "la": true,
	"les": true, "l": true, "du": true, "de": true, "des": true, "d": true, "un": true, "une": true, "notre": true, "nos": true,
	"mon": true, "ma": true, "mes": true, "ce": true, "cette": true, "votre": true, "vos": true}

var phraseStops = map[string]bool{"with": true, "avec": true, "on": true, "at": true, "for": true, "by": true, "via": true,
	"sur": true, "a": true, "pour": true, "dans": true, "in": true, "next": true, "this": true, "tomorrow": true, "today": true,
	"demain": true, "when": true, "quand": true, "if": true, "si": true, "please": true, "and": false, "before": true, "after": true,
	"avant": true, "apres": true, "around": true, "vers": true, "le": false, "from": true, "until": true, "des": false,
	"sometime": true, "asap": true, "soon": true, "bientot": true, "en": true, "can": true, "could": true, "would": true}

// phrase returns the original text of the noun phrase starting at token k.
func (p *parser) phrase(k int) string {
	for articles[p.tok(k).text] && p.tok(k).kind == tkWord {
		k++
	}
	start := k
	if len(p.inAtom) != len(p.toks) {
		p.inAtom = append(p.inAtom[:0], make([]bool, len(p.toks))...)
		for a := range p.atoms {
			for x := p.atoms[a].i; x < p.atoms[a].j && x < len(p.toks); x++ {
				p.inAtom[x] = true
			}
		}
	}
	atomAt := p.inAtom
	end := k
	for ; end < len(p.toks) && end < k+12; end++ {
		t := &p.toks[end]
		if t.kind == tkPunct && t.text != "&" && t.text != "-" && t.text != "'" || atomAt[end] || t.nl && end > start || t.para {
			break
		}
		if t.kind == tkWord && (phraseStops[t.text] || t.lex.has(cVideo) || t.lex.has(cWeekday|cRelDay) && !t.lex.has(cMonth)) {
			break
		}
		if t.kind == tkNum && end == start {
			return "" // "about 2 hours"
		}
		if end > start && strings.Contains(p.text[p.toks[end-1].end:t.start], "@") {
			break
		}
	}
	for end > start && articles[p.toks[end-1].text] {
		end--
	}
	if end <= start {
		return ""
	}
	s := strings.TrimSpace(p.text[p.toks[start].start:p.toks[end-1].end])
	if s == "" || p.has(start, cNumWord) && !p.toks[start].lex.has(cWeekday) && p.toks[start].text != "a" {
		return ""
	}
	if utf8.RuneCountInString(s) > maxSubject {
		r := []rune(s)
		s = string(r[:maxSubject])
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// attendees returns the e-mail addresses written in the text, in order,
// without duplicates and without the sender.
func (p *parser) attendees() []string {
	var out []string
	sender := strings.ToLower(p.ctx.Sender)
	for _, a := range p.addrs {
		la := strings.ToLower(a)
		if la == sender {
			continue
		}
		dup := false
		for _, o := range out {
			if strings.EqualFold(o, a) {
				dup = true
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// names returns the people named after "with" or "avec" ("with Alice and
// Bob", "avec Marie et Paul"): capitalised words, left for the caller to
// resolve against the account's users.
func (p *parser) names() []string {
	var out []string
	for i := range p.toks {
		if !p.wAny(i, "with", "avec", "invite", "inviter", "cc") {
			continue
		}
		k := i + 1
		for k < len(p.toks) && k < i+12 {
			t := &p.toks[k]
			if t.kind != tkWord {
				break
			}
			o := p.orig(k)
			r, _ := utf8.DecodeRuneInString(o)
			if !unicode.IsUpper(r) || t.lex.has(cWeekday|cMonth|cVideo|cRelDay) || t.text == "i" {
				break
			}
			name := o
			// "Anna Martin": a capitalised word glued by a space to the next
			for k+1 < len(p.toks) && p.toks[k+1].kind == tkWord && !p.toks[k+1].nl && !p.toks[k+1].lex.has(cWeekday|cMonth|cVideo) {
				o2 := p.orig(k + 1)
				r2, _ := utf8.DecodeRuneInString(o2)
				if !unicode.IsUpper(r2) {
					break
				}
				name += " " + o2
				k++
			}
			out = append(out, name)
			k++
			if p.punct(k, ',') || p.wAny(k, "and", "et") {
				k++
				continue
			}
			break
		}
	}
	return out
}

// video returns the provider the text asks for (or "none" for a meeting in
// person): "on Zoom", "sur Teams", "via Google Meet", "Jitsi", "in person",
// "en présentiel".
func (p *parser) video() string {
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tkWord {
			continue
		}
		v := ""
		switch t.text {
		case "zoom", "jitsi", "webex", "gmeet", "hangouts", "hangout":
			v = t.lex.vid
		case "teams":
			if p.orig(i) == "Teams" || p.wAny(i-1, "ms", "microsoft", "on", "sur", "via", "en", "over", "par") || p.wAny(i+1, "call", "meeting", "link", "reunion", "visio", "appel") {
				v = "teams"
			}
		case "meet":
			if p.w(i-1, "google") || p.orig(i) == "Meet" && p.wAny(i-1, "on", "sur", "via", "over") {
				v = "google_meet"
			}
		case "person":
			if p.w(i-1, "in") {
				v = "none"
			}
		case "personne":
			if p.w(i-1, "en") {
				v = "none"
			}
		case "presentiel":
			v = "none"
		case "face":
			if p.wAny(i+1, "to", "a") && p.w(i+2, "face") {
				v = "none"
			}
		case "visu":
			if p.w(i-1, "de") {
				v = "none"
			}
		case "office", "offices", "premises", "bureau", "bureaux", "locaux":
			// "at our office", "come by our offices", "à nos bureaux", "dans nos locaux"
			if p.wAny(i-1, "our", "nos", "notre") || p.wAny(i-2, "our") && p.tok(i-1).kind == tkWord ||
				p.w(i-1, "the") && p.wAny(i-2, "at", "to") || p.w(i-1, "au") && p.w(i-2, "passer") {
				v = "none"
			}
		}
		if v == "" {
			continue
		}
		if p.ctx.Mail && p.clauseDistract(i) < 0 {
			continue
		}
		return v
	}
	return ""
}
