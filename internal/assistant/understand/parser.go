package understand

import (
	"strings"
	"sync"
	"time"
)

// parser holds the state of one Parse call; parsers are pooled, so a call
// allocates little beyond its result.
type parser struct {
	ctx     Context
	text    string
	loc     *time.Location
	now     time.Time
	today   day
	nowSec  int
	lang    Language
	america bool // the zone is in the Americas: EN a/b is month/day (R12)
	noGate  bool // run every recogniser at every word (TestStartGate)

	fold   []byte
	toks   []token
	spans  [][2]int32
	skips  [][2]int
	addrs  []string
	atoms  []atom
	recs   []recurrence
	sents  []int32 // sentence index of each token
	paras  []int32 // paragraph index of each token
	sreq   []bool  // per sentence: has a request cue
	sq     []bool  // per sentence: is a question
	inAtom []bool  // per token: inside an atom (for the subject)
	nt     token   // the token past the end
	reads  []reading
	gbuf   [][2]int
	ibuf   []int
	cur    []int
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

// akind is the kind of an atom: a piece of a date expression.
type akind uint8

const (
	aDate     akind = iota + 1 // a calendar day (d), perhaps invalid
	aSpan                      // days [d, d2)
	aTime                      // a clock time (tm)
	aRange                     // clock times tm to tm2
	aPart                      // a part of the day
	aDuration                  // dur minutes
	aElapsed                   // an instant: now + elapsed time
	aSameTime                  // now's wall-clock time
	aBound                     // after/before tm or a part
	aRecur                     // recurrence (rec)
	aUntil                     // the last day of a series (d)
	aPeriod                    // how long a series runs: dur units of unit(part)
	aCount                     // how many meetings a series has: dur
)

// clk is a clock time as written, before the business-hours rule (R7).
type clk struct {
	h, m     int
	mer      int8 // 0 none, 1 am, 2 pm (written)
	force    int8 // 0 none, 1 morning, 2 afternoon/evening (from "du soir", "tonight")
	zero     bool // written with a leading zero: a 24-hour time
	frH      bool // French colloquial "3h"
	noon     bool
	midnight bool
	set      bool
	zone     string // a zone named after the time (R1)
}

// atom is one recognised piece of a date expression over tokens [i, j).
type atom struct {
	kind    akind
	i, j    int
	d, d2   day
	invalid bool // an impossible date (R14)
	tm, tm2 clk
	part    part
	dur     int
	inst    time.Time
	zone    string
	bound   int8 // +1 after, -1 before
	rec     int  // index in parser.recs
	week    bool // the span is one Monday-start week
	relWeek bool // the span is relative ("next week"): a weekday picks a day in it
	holiday bool
	hasYear bool
	alt     day // alternative day (R3, R4, R5), when altRule != ""
	altRule string
	altWhy  string
	dayOnly bool // a weekday or day that may take the week of a span
	wd      int8 // the weekday named, -1 if none
	spec    int8 // how specific: used to rank candidates
	fromNow bool // "a week from now": the wall clock of now (R6)
	idx     int  // index in parser.atoms (set by groups)
}

func (p *parser) reset(text string, ctx Context) {
	p.ctx = ctx
	p.text = text
	p.loc = ctx.Zone
	if p.loc == nil {
		p.loc = time.UTC
	}
	p.now = ctx.Now.In(p.loc)
	p.today = dayOf(p.now)
	p.nowSec = clockOf(p.now)
	p.america = strings.HasPrefix(p.loc.String(), "America/")
	p.skips = p.skips[:0]
	p.addrs = p.addrs[:0]
	p.atoms = p.atoms[:0]
	p.recs = p.recs[:0]
	p.sents = p.sents[:0]
	p.paras = p.paras[:0]
	p.sreq = p.sreq[:0]
	p.sq = p.sq[:0]
	p.inAtom = p.inAtom[:0]
}

// tok returns token i, or an empty token past either end.
func (p *parser) tok(i int) *token {
	if i < 0 || i >= len(p.toks) {
		return &p.nt
	}
	return &p.toks[i]
}

func (p *parser) lx(i int) *lexeme {
	if i < 0 || i >= len(p.toks) {
		return nil
	}
	return p.toks[i].lex
}

func (p *parser) w(i int, s string) bool {
	return i >= 0 && i < len(p.toks) && p.toks[i].kind == tkWord && p.toks[i].text == s
}

func (p *parser) wAny(i int, ss ...string) bool {
	if i < 0 || i >= len(p.toks) || p.toks[i].kind != tkWord {
		return false
	}
	for _, s := range ss {
		if p.toks[i].text == s {
			return true
		}
	}
	return false
}

func (p *parser) punct(i int, c byte) bool {
	return i >= 0 && i < len(p.toks) && p.toks[i].kind == tkPunct && p.toks[i].text[0] == c
}

func (p *parser) has(i int, c cat) bool { return p.lx(i).has(c) }

// orig returns the original text of token i.
func (p *parser) orig(i int) string {
	t := p.tok(i)
	return p.text[t.start:t.end]
}

// upper reports whether token i was written in capitals ("ET", "PT").
func (p *parser) upper(i int) bool {
	s := p.orig(i)
	for j := 0; j < len(s); j++ {
		if s[j] >= 'a' && s[j] <= 'z' {
			return false
		}
	}
	return s != ""
}

// skipArticles skips "the", "le", "la", "l'", "on", "a" ... before a date.
// At most maxSkip words are skipped, so that a run of them ("the the the
// ...") costs constant work at each position.
func (p *parser) skipWords(i int, ws ...string) int {
	for n := 0; n < maxSkip && p.wAny(i, ws...); n++ {
		i++
	}
	return i
}

const maxSkip = 3

// number reads a number at i: digits, or number words including French
// compounds ("vingt-cinq", "soixante-dix", "quatre-vingt-dix", "septante-cinq",
// "vingt et un") and English ones ("twenty-five"). It returns the value and
// the index after it.
func (p *parser) number(i int) (int, int, bool) {
	t := p.tok(i)
	if t.kind == tkNum {
		return int(t.num), i + 1, true
	}
	if t.kind != tkWord || !t.lex.has(cNumWord) || t.text == "a" || t.text == "an" {
		return 0, i, false
	}
	n, j := int(t.lex.num), i+1
	if t.text == "quatre" && p.wAny(j, "vingt", "vingts") {
		n, j = 80, j+1
	}
	if n >= 20 && n < 100 && n%10 == 0 {
		k := j
		if p.w(k, "et") && p.wAny(k+1, "un", "une", "onze") {
			k++
		}
		if u := p.tok(k); u.kind == tkWord && u.lex.has(cNumWord) && u.text != "a" && u.text != "an" {
			if v := int(u.lex.num); v >= 1 && (v < 10 || (n == 60 || n == 80) && v < 20) {
				n, j = n+v, k+1
			}
		}
	}
	return n, j, true
}

// ordSuffix reports whether token i is an ordinal suffix glued to a number
// ("15th", "1er", "2e", "3ème").
func (p *parser) ordSuffix(i int) bool {
	t := p.tok(i)
	return t.kind == tkWord && t.glued && (t.text == "st" || t.text == "nd" || t.text == "rd" || t.text == "th" ||
		t.text == "er" || t.text == "ere" || t.text == "e" || t.text == "eme" || t.text == "re")
}

// dayNumber reads a day of the month at i: "15", "15th", "1er", "premier",
// "first". It returns the day, the next index and whether an ordinal marked
// it.
func (p *parser) dayNumber(i int) (int, int, bool, bool) {
	t := p.tok(i)
	if t.kind == tkNum && t.ndig <= 2 && t.num >= 1 && t.num <= 31 {
		if p.ordSuffix(i + 1) {
			return int(t.num), i + 2, true, true
		}
		return int(t.num), i + 1, false, true
	}
	if t.kind == tkWord && (t.text == "premier" || t.text == "first") {
		return 1, i + 1, true, true
	}
	return 0, i, false, false
}

// year reads a four-digit year at i.
func (p *parser) year(i int) (int, int, bool) {
	t := p.tok(i)
	if t.kind == tkNum && t.ndig == 4 && t.num >= 1900 && t.num <= 2200 {
		return int(t.num), i + 1, true
	}
	return 0, i, false
}
