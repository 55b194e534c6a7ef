package understand

import (
	"time"
	"unicode/utf8"
)

// Parse reads one request text (a line, or an e-mail body with ctx.Mail)
// and returns what it asks for. It never fails: a text with nothing to
// schedule gives a Request without a time. The text is cut at MaxInput.
func Parse(text string, ctx Context) Result {
	p := parserPool.Get().(*parser)
	defer parserPool.Put(p)
	p.reset(clip(text), ctx)
	return p.parse()
}

// clip cuts text at MaxInput, on a rune boundary.
func clip(text string) string {
	if len(text) > MaxInput {
		text = text[:MaxInput]
		for len(text) > 0 && !utf8.RuneStart(text[len(text)-1]) {
			text = text[:len(text)-1]
		}
		if len(text) > 0 {
			if r, _ := utf8.DecodeLastRuneInString(text); r == utf8.RuneError {
				text = text[:len(text)-1]
			}
		}
	}
	return text
}

// DetectLanguage returns the language of a text, English or French, with
// the stop-word scorer Parse uses (Request.Language), without reading
// dates: it costs one pass over the text, which is cut at MaxInput. hint
// breaks ties (a text with no evidence either way, such as "15:30" or ""),
// English when hint is neither English nor French.
func DetectLanguage(text string, hint Language) Language {
	p := parserPool.Get().(*parser)
	defer parserPool.Put(p)
	p.reset(clip(text), Context{Language: hint})
	p.skips, p.addrs = findSkips(p.text, p.skips, p.addrs)
	p.tokenize()
	return p.detectLanguage()
}

// Names returns the people named in a text after "with", "avec", "invite"
// or "cc" ("with Bob and Claire" gives Bob and Claire), as Request.Names
// does, without reading dates. The caller resolves them against the
// account's users. The text is cut at MaxInput.
func Names(text string) []string {
	p := parserPool.Get().(*parser)
	defer parserPool.Put(p)
	p.reset(clip(text), Context{})
	p.skips, p.addrs = findSkips(p.text, p.skips, p.addrs)
	p.tokenize()
	return p.names()
}

func (p *parser) parse() Result {
	p.skips, p.addrs = findSkips(p.text, p.skips, p.addrs)
	p.tokenize()
	p.lang = p.detectLanguage()
	p.sentences()
	p.scan()

	res := Result{Option: -1}
	req := &res.Request
	req.Language = p.lang
	req.Zone = p.loc

	best, conf := p.choose()
	if best != nil && !best.invalid && (best.dated || best.timed || !best.start.IsZero()) {
		req.Start, req.End, req.Window, req.Duration, req.RRule = best.start, best.end, best.win, best.dur, best.rrule
		req.Zone = best.loc
		res.Ambiguities = best.amb
		if req.Duration == 0 {
			req.Duration = p.looseDuration(best)
			if req.Duration > 0 && !req.Start.IsZero() && req.End.IsZero() {
				req.End = req.Start.Add(time.Duration(req.Duration) * time.Minute)
			}
		}
	} else if best == nil || !best.invalid {
		req.Duration = p.looseDuration(nil)
	}
	res.Confidence = conf
	req.Subject = p.subject()
	req.Attendees = p.attendees()
	req.Names = p.names()
	req.VideoProvider = p.video()
	res.Intent, res.Option = p.intent(&res)
	if res.Intent == IntentNone && req.HasTime() {
		res.Intent = IntentNew
	}
	return res
}

// sentences numbers the sentence of every token: a sentence ends at . ? !
// ; (a full stop only when a space follows, not in "9.30" or "a.m."), and at
// a blank line.
func (p *parser) sentences() {
	s, para := int32(0), int32(0)
	for i := range p.toks {
		t := &p.toks[i]
		if t.para && i > 0 {
			s++
			para++
		}
		p.sents = append(p.sents, s)
		p.paras = append(p.paras, para)
		for int(s) >= len(p.sreq) {
			p.sreq = append(p.sreq, false)
			p.sq = append(p.sq, false)
		}
		if t.kind == tkWord && t.lex.has(cReq) {
			p.sreq[s] = true
		}
		if t.kind == tkPunct && t.text == "?" {
			p.sq[s] = true
		}
		if t.kind == tkPunct {
			switch t.text[0] {
			case '?', '!', ';':
				s++
			case '.':
				if n := p.tok(i + 1); n.kind == 0 || !n.glued {
					if !(p.w(i-1, "m") && p.tok(i-1).glued) || n.kind == 0 || n.nl {
						s++
					}
				}
			}
		}
	}
}

// scan runs the recognisers over the tokens, longest and most specific
// first, and appends their atoms.
func (p *parser) scan() {
	for i := 0; i < len(p.toks); {
		j := p.recognize(i)
		if j <= i {
			j = i + 1
		}
		i = j
	}
}

func (p *parser) recognize(i int) int {
	t := &p.toks[i]
	if t.kind == tkPunct {
		return i
	}
	if t.kind == tkWord && (t.lex == nil || t.lex.cat&startCats == 0) && !p.noGate {
		return i // no recogniser starts with this word
	}
	for _, f := range recognizers {
		if j := f(p, i); j > i {
			return j
		}
	}
	return i
}

var recognizers = []func(*parser, int) int{
	(*parser).isoDate,
	(*parser).recurrenceAt,
	(*parser).untilAt,
	(*parser).periodAt,
	(*parser).countAt,
	(*parser).relative,
	(*parser).sameTime,
	(*parser).holidayAt,
	(*parser).weekSpan,
	(*parser).dateRange,
	(*parser).monthSpan,
	(*parser).monthDate,
	(*parser).nthWeekdayOf,
	(*parser).numericDate,
	(*parser).weekdayExpr,
	(*parser).relDay,
	(*parser).dayOfMonth,
	(*parser).durationAtom,
	(*parser).timeRangeAtom,
	(*parser).part,
	(*parser).bound,
	(*parser).clockAtom,
}

func (p *parser) durationAtom(i int) int {
	m, j, ok := p.duration(i)
	if !ok {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aDuration, i: i, j: j, dur: m, wd: -1})
	return j
}

func (p *parser) timeRangeAtom(i int) int {
	a, b, z, j, ok := p.timeRange(i)
	if !ok {
		// "10-11" right after a date: "Tuesday 16th 10-11"
		if n := len(p.atoms); n > 0 && p.atoms[n-1].j == i && p.atoms[n-1].kind == aDate {
			x, y := p.tok(i), p.tok(i+2)
			if x.kind == tkNum && x.ndig <= 2 && x.num <= 24 && p.punct(i+1, '-') && y.kind == tkNum && y.ndig <= 2 && y.num <= 24 && !p.notHourAfter(i+3) {
				a, b = clk{h: int(x.num), set: true}, clk{h: int(y.num), set: true}
				p.atoms = append(p.atoms, atom{kind: aRange, i: i, j: i + 3, tm: a, tm2: b, wd: -1, spec: 2})
				return i + 3
			}
		}
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aRange, i: i, j: j, tm: a, tm2: b, zone: z, wd: -1, spec: 2})
	return j
}

func (p *parser) clockAtom(i int) int {
	c, j, ok := p.clock(i)
	if !ok {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aTime, i: i, j: j, tm: c, wd: -1, spec: 2})
	return j
}

// maxGroups bounds the date expressions of one text that are weighed
// against each other; an e-mail has a few dozen at most, and the rest of a
// longer text is not read for dates.
const maxGroups = 256

// groups splits the atoms into groups: atoms of one sentence separated only
// by glue words ("at", "on", "le", "à", "the", commas).
func (p *parser) groups(out [][2]int) [][2]int {
	start := 0
	for k := range p.atoms {
		p.atoms[k].idx = k
	}
	for k := 1; k <= len(p.atoms); k++ {
		if len(out) >= maxGroups {
			break
		}
		if k < len(p.atoms) && p.joined(&p.atoms[k-1], &p.atoms[k]) {
			continue
		}
		out = append(out, [2]int{start, k})
		start = k
	}
	return out
}

func (p *parser) joined(a, b *atom) bool {
	if b.i < a.j {
		return true
	}
	if a.i < len(p.sents) && b.i < len(p.sents) && p.sents[a.i] != p.sents[b.i] {
		return false
	}
	if b.i-a.j > 5 {
		return false
	}
	for k := a.j; k < b.i; k++ {
		t := &p.toks[k]
		switch {
		case t.kind == tkPunct && (t.text == "," || t.text == "-" || t.text == "("):
		case t.kind == tkWord && t.lex.has(cGlue):
		default:
			return false
		}
	}
	return true
}

// choose builds a reading per group, scores them (R15) and returns the best,
// completed by a neighbour that gives what it lacks (a time for a day, a day
// for a time), and a confidence.
func (p *parser) choose() (*reading, float64) {
	gs := p.groups(p.gbuf[:0])
	p.gbuf = gs
	if len(gs) == 0 {
		return nil, 0.3
	}
	rs := p.reads[:0]
	defer func() { p.reads = rs[:0] }()
	var idx []int
	ibuf := p.ibuf[:0]
	for _, g := range gs {
		idx = ibuf[:0]
		for k := g[0]; k < g[1]; k++ {
			idx = append(idx, k)
		}
		r := p.compose(idx)
		r.sent = int(p.sents[p.atoms[g[0]].i])
		p.score(&r)
		rs = append(rs, r)
	}
	bi := -1
	for k := range rs {
		r := &rs[k]
		if !r.eligible {
			continue
		}
		if bi < 0 || r.score > rs[bi].score {
			bi = k
		}
	}
	if bi < 0 {
		// An impossible date is an answer too: no answer (R14).
		for k := range rs {
			if rs[k].invalid && (!p.ctx.Mail || rs[k].score >= 0) {
				return &rs[k], 0.9
			}
		}
		return nil, 0.3
	}
	best := rs[bi]
	// Complete the best reading with a neighbour that gives what it lacks:
	// a clock time for a day or a part of a day, a day for a time, a
	// recurrence said in the same sentence.
	used := uint64(1) << (bi & 63)
	cur := append(p.cur[:0], bi)
	defer func() { p.cur = cur[:0] }()
	for round := 0; round < 3; round++ {
		merged := false
		for k := range rs {
			o := &rs[k]
			if used&(1<<(k&63)) != 0 || o.invalid || o.durOnly || !o.dated && !o.timed && !o.hasRec {
				continue
			}
			if p.ctx.Mail && !o.eligible && !(o.score >= 0 && !o.dated) {
				continue
			}
			near := o.sent >= best.sent-1 && o.sent <= best.sent+1 && p.paraOf(o.i) == p.paraOf(best.i)
			want := false
			switch {
			case o.hasRec && !best.hasRec && o.sent == best.sent:
				want = true
			case best.hasRec && !o.hasRec && o.sent == best.sent:
				want = !o.dated || !best.clock && o.clock
			case (!best.clock && o.clock || !best.timed && o.timed) && !o.dated && near:
				want = true
			case !best.dated && o.dated && !o.timed && near && !best.hasRec:
				want = true
			}
			if !want {
				continue
			}
			idx = ibuf[:0]
			all := append(cur, k)
			sortInts(all)
			for _, gi := range all {
				for x := gs[gi][0]; x < gs[gi][1]; x++ {
					idx = append(idx, x)
				}
			}
			m := p.compose(idx)
			if !m.invalid && (m.dated || m.timed) {
				m.score, m.sent, m.eligible = best.score, best.sent, true
				best = m
				used |= 1 << (k & 63)
				cur = all
				merged = true
				break
			}
		}
		if !merged {
			break
		}
	}
	// A range of times with a shorter length stated in the sentence is a
	// window to search in (R8, R9).
	if best.isRange && best.win == nil {
		for k := range p.atoms {
			a := &p.atoms[k]
			if a.kind == aDuration && int(p.sents[a.i]) == best.sent && a.dur < best.dur {
				best.win = &Window{From: best.start, To: best.end}
				best.start, best.end, best.dur = time.Time{}, time.Time{}, a.dur
				break
			}
		}
	}
	conf := 1.0
	if len(best.amb) > 0 {
		conf -= 0.2
	}
	for k := range rs {
		if k != bi && rs[k].eligible && rs[k].score >= best.score-1 && rs[k].dated {
			conf -= 0.15
		}
	}
	if conf < 0.1 {
		conf = 0.1
	}
	b := best
	return &b, conf
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// paraOf returns the paragraph number of token i.
func (p *parser) paraOf(i int) int {
	if i < 0 || i >= len(p.paras) {
		return -1
	}
	return int(p.paras[i])
}

// looseDuration returns a meeting length stated outside the chosen group:
// in its sentence, in the next sentences, or (outside e-mail) anywhere.
func (p *parser) looseDuration(best *reading) int {
	bestSent := -1
	if best != nil {
		bestSent = best.sent
	}
	found := 0
	for k := range p.atoms {
		a := &p.atoms[k]
		if a.kind != aDuration {
			continue
		}
		// a length inside a range or a relative expression was consumed there
		if best != nil && k >= best.a0 && k < best.a1 {
			continue
		}
		s := int(p.sents[a.i])
		if p.ctx.Mail && p.clauseDistract(a.i) < 0 {
			continue
		}
		if bestSent < 0 || s == bestSent || s > bestSent && s <= bestSent+2 || !p.ctx.Mail {
			if found == 0 || s == bestSent {
				found = a.dur
				if s == bestSent {
					return found
				}
			}
		}
	}
	return found
}
