package understand

import "time"

// Scores of R15: which date of an e-mail is the proposed slot.
const (
	scoreRequest  = 3  // the sentence asks for a meeting ("can we meet", "dispo")
	scoreQuestion = 1  // the sentence is a question
	scoreDistract = -6 // a distractor in the clause ("as discussed", "lands at")
	scoreNegative = -5 // not available ("doesn't work", "c'est mort")
	scorePast     = -4 // past tense in the clause ("was", "a eu lieu")
)

// score rates a reading by the cues around it (R15). In an e-mail a reading
// next to a distractor, or wholly in the past, is not eligible.
func (p *parser) score(r *reading) {
	if r.durOnly || !r.dated && !r.timed && r.rrule == "" {
		return
	}
	s := float64(r.spec) * 0.25
	if p.sentReq(r.sent) {
		s += scoreRequest
	}
	if p.sentQuestion(r.sent) {
		s += scoreQuestion
	}
	d := p.clauseDistract(r.i)
	s += float64(d)
	r.score = s
	if r.invalid {
		r.score = s
		return
	}
	r.eligible = true
	if p.ctx.Mail {
		if d < 0 {
			r.eligible = false
		}
		if r.past(p.now) {
			r.eligible = false
		}
	}
}

// past reports whether the reading ends before now.
func (r *reading) past(now time.Time) bool {
	switch {
	case r.win != nil:
		return !r.win.To.After(now)
	case !r.start.IsZero():
		return r.start.Before(now) && r.rrule == ""
	}
	return false
}

func (p *parser) sentReq(s int) bool      { return s >= 0 && s < len(p.sreq) && p.sreq[s] }
func (p *parser) sentQuestion(s int) bool { return s >= 0 && s < len(p.sq) && p.sq[s] }

// clauseDistract returns the most negative cue of the clause around token i
// (0 when none): a clause ends at a sentence end, a comma, a colon, or
// "but", "so", "mais", "donc".
func (p *parser) clauseDistract(i int) int {
	if i >= len(p.toks) {
		return 0
	}
	s := p.sents[i]
	lo := i
	for lo > 0 && lo > i-maxClause && p.sents[lo-1] == s && !p.clauseEdge(lo-1) {
		lo--
	}
	hi := i
	for hi+1 < len(p.toks) && hi < i+maxClause && p.sents[hi+1] == s && !p.clauseEdge(hi+1) {
		hi++
	}
	worst := 0
	note := func(v int) {
		if v < worst {
			worst = v
		}
	}
	for k := lo; k <= hi; k++ {
		t := &p.toks[k]
		if t.kind != tkWord {
			continue
		}
		l := t.lex
		switch {
		case l.has(cDistract):
			note(scoreDistract)
		case l.has(cNeg) && (t.text != "t" || t.hyph):
			note(scoreNegative)
		case l.has(cPast):
			note(scorePast)
		}
		switch t.text {
		case "suite":
			if p.w(k+1, "a") {
				note(scoreDistract)
			}
		case "merci", "thanks":
			if p.wAny(k+1, "pour", "for") {
				note(scoreDistract)
			}
		case "office", "business":
			if p.w(k+1, "hours") {
				note(scoreDistract)
			}
		case "moved", "rescheduled", "pushed":
			if p.wAny(k+1, "from") {
				note(scoreDistract)
			}
		case "last", "derniere":
			if p.wAny(k+1, "time", "fois") || p.w(k-1, "la") && p.w(k+1, "fois") {
				note(scorePast)
			}
		}
	}
	// "Office hours: Mon-Fri 9-5", "Horaires : ...": the whole line
	for k := i; k >= 0 && k > i-12; k-- {
		t := &p.toks[k]
		if t.text == "horaires" || t.text == "hours" && p.w(k-1, "office") {
			note(scoreDistract)
		}
		if t.nl {
			break
		}
	}
	return worst
}

// maxClause bounds how far a clause is read on each side of a date, so that
// the cues of one long unpunctuated text cost constant work per date.
const maxClause = 40

func (p *parser) clauseEdge(k int) bool {
	t := &p.toks[k]
	if t.kind == tkPunct {
		return t.text == "," || t.text == ":" || t.text == ";"
	}
	return t.text == "but" || t.text == "mais" || t.text == "so" || t.text == "donc" || t.text == "although" || t.text == "though" ||
		t.text == "however" || t.text == "cependant" || t.text == "sinon"
}

// detectLanguage scores English and French function words (a small
// stop-word scorer); Context.Language breaks ties, English by default.
func (p *parser) detectLanguage() Language {
	en, fr := 0, 0
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == tkWord && t.lex != nil {
			en += int(t.lex.en)
			fr += int(t.lex.fr)
			if t.text == "h" && p.tok(i-1).kind == tkNum && t.glued {
				fr += 2
			}
			if t.text == "end" && t.hyph && p.w(i-1, "week") {
				fr += 2 // "week-end" is the French spelling
			}
		}
	}
	switch {
	case fr > en:
		return French
	case en > fr:
		return English
	case p.ctx.Language == French:
		return French
	}
	return English
}
