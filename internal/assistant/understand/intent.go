package understand

import "time"

// intent reads what a thread message asks for: cancel, none of the options,
// decline, pick an option, reschedule, shorten or lengthen, accept, change
// the provider, or a new request. With Context.Options, a reply that names
// one of them by position ("option 2", "the second one", "la deuxième") or
// by time ("Thursday works", "jeudi 10h ça me va") picks it.
func (p *parser) intent(res *Result) (Intent, int) {
	var (
		cancel, reschedule, shorten, lengthen, noneWork, decline, accept, instead bool
		ord                                                                       = -1
	)
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind != tkWord {
			if t.kind == tkPunct && t.text == "#" {
				if n := p.tok(i + 1); n.kind == tkNum && n.glued {
					ord = int(n.num) - 1
				}
			}
			continue
		}
		switch t.text {
		case "cancel", "cancelled", "canceled", "annuler", "annule", "annulons", "annulez", "annulee":
			if !p.wAny(i-1, "not", "pas", "don", "t") {
				cancel = true
			}
		case "call":
			if p.w(i+1, "off") || p.w(i+1, "it") && p.w(i+2, "off") {
				cancel = true
			}
		case "reschedule", "postpone", "move", "push", "shift", "deplacer", "decaler", "reporter", "repousser", "avancer", "decalons", "deplacons", "reportons":
			reschedule = true
		case "shorten", "shorter", "raccourcir", "ecourter":
			shorten = true
		case "longer", "lengthen", "extend", "prolonger", "rallonger", "allonger":
			lengthen = true
		case "court", "courte":
			if p.w(i-1, "plus") {
				shorten = true
			}
		case "long", "longue":
			if p.w(i-1, "plus") {
				lengthen = true
			}
		case "none", "neither", "aucun", "aucune", "nor":
			noneWork = true
		case "rien":
			if p.w(i+1, "ne") {
				noneWork = true
			}
		case "decline", "declining", "decliner", "decline_":
			decline = true
		case "attend", "make", "join", "participer", "assister", "venir", "present", "presente":
			if p.negBefore(i) {
				decline = true
			}
		case "confirm", "confirmed", "confirme", "confirmee", "accept", "accepted", "accepte", "perfect", "parfait", "great",
			"ok", "okay", "yes", "oui", "d", "entendu", "super", "genial", "top", "deal", "fine":
			if t.text != "d" || p.w(i+1, "accord") {
				accept = true
			}
		case "sounds", "works", "work", "marche", "va", "convient", "suits", "good":
			if !p.negBefore(i) {
				accept = true
			}
		case "instead", "plutot", "switch", "passer":
			instead = true
		case "option", "choice", "creneau", "proposition", "slot", "choix":
			if n := p.tok(i + 1); n.kind == tkNum && n.num > 0 && n.num < 20 {
				ord = int(n.num) - 1
			} else if n, _, ok := p.number(i + 1); ok && n > 0 && n < 20 && p.tok(i+1).text != "a" && p.tok(i+1).text != "un" && p.tok(i+1).text != "une" {
				ord = n - 1
			}
		}
		if l := t.lex; l.has(cOrdinal) && l.ord > 0 && ord < 0 && (p.wAny(i+1, "one", "option", "slot", "choice", "proposition", "creneau", "date", "time") || p.wAny(i-1, "the", "la", "le") && (p.tok(i+1).kind != tkWord || p.wAny(i+1, "works", "work", "me", "is", "please", "svp", "convient", "marche", "va"))) {
			if _, ok := p.weekdayAt(i + 1); !ok {
				ord = int(l.ord) - 1
			}
		}
	}
	req := &res.Request
	if cancel {
		return IntentCancel, -1
	}
	if noneWork {
		return IntentNoneWork, -1
	}
	if decline && !req.HasTime() {
		return IntentDecline, -1
	}
	if len(p.ctx.Options) > 0 {
		if ord >= 0 && ord < len(p.ctx.Options) {
			return IntentPick, ord
		}
		if k := p.matchOption(req); k >= 0 {
			return IntentPick, k
		}
	}
	if reschedule {
		return IntentReschedule, -1
	}
	if shorten {
		return IntentShorten, -1
	}
	if lengthen {
		return IntentLengthen, -1
	}
	if decline {
		return IntentDecline, -1
	}
	if req.VideoProvider != "" && instead && !req.HasTime() {
		return IntentProvider, -1
	}
	if accept && !req.HasTime() {
		return IntentAccept, -1
	}
	if p.asksToMeet() {
		return IntentNew, -1 // a request without a time: the assistant searches its default horizon
	}
	return IntentNone, -1
}

// asksToMeet reports whether the text asks for a meeting in so many words
// ("find a time", "set up a call", "organiser une réunion", "se voir").
func (p *parser) asksToMeet() bool {
	for i := range p.toks {
		switch p.toks[i].text {
		case "meet", "meeting", "schedule", "book", "call", "sync", "reunion", "rdv", "organiser", "organise", "planifier",
			"caler", "appel", "visio", "kickoff":
			return !p.negBefore(i)
		case "rendez":
			return p.w(i+1, "vous")
		case "voir", "voie":
			return p.w(i-1, "se") || p.w(i-1, "nous")
		case "find", "trouver":
			return p.wAny(i+1, "a", "un", "some", "time", "moment", "creneau") || p.wAny(i+2, "time", "moment", "creneau")
		}
	}
	return false
}

// negBefore reports whether a negation comes just before token i ("can't
// attend", "won't make it", "ne pourrai pas venir").
func (p *parser) negBefore(i int) bool {
	for k := i - 1; k >= 0 && k >= i-4; k-- {
		if l := p.toks[k].lex; l.has(cNeg) && (p.toks[k].text != "t" || p.toks[k].hyph) {
			return true
		}
		if p.toks[k].kind == tkPunct {
			return false
		}
	}
	return false
}

// matchOption returns the offered option the request names by time: the
// same start, else the only option in its window, else the option at the
// same weekday and clock, the same weekday, or the same clock.
func (p *parser) matchOption(req *Request) int {
	opts := p.ctx.Options
	if !req.Start.IsZero() {
		for k, o := range opts {
			if o.Equal(req.Start) {
				return k
			}
		}
	}
	if req.Window != nil {
		found := -1
		for k, o := range opts {
			if !o.Before(req.Window.From) && o.Before(req.Window.To) {
				if found >= 0 {
					found = -2
					break
				}
				found = k
			}
		}
		if found >= 0 {
			return found
		}
	}
	// By weekday and clock, for options beyond the first week.
	var wd, clock = -1, -1
	if !req.Start.IsZero() {
		t := req.Start.In(p.loc)
		wd, clock = int(dayOf(t).weekday()), clockOf(t)
		if p.weekdayNamed() < 0 {
			wd = -1 // "10h ça me va": only the clock was written
		}
	} else if req.Window != nil {
		if d := p.weekdayNamed(); d >= 0 {
			wd = d
		}
	}
	try := func(match func(t time.Time) bool) int {
		for k, o := range opts {
			if match(o.In(p.loc)) {
				return k
			}
		}
		return -1
	}
	if wd >= 0 && clock >= 0 {
		if k := try(func(t time.Time) bool { return dayOf(t).weekday() == wd && clockOf(t) == clock }); k >= 0 {
			return k
		}
	}
	if wd >= 0 {
		if k := try(func(t time.Time) bool { return dayOf(t).weekday() == wd }); k >= 0 {
			return k
		}
	}
	if clock >= 0 {
		if k := try(func(t time.Time) bool { return clockOf(t) == clock }); k >= 0 {
			return k
		}
	}
	return -1
}

// weekdayNamed returns the first weekday written in the text, or -1.
func (p *parser) weekdayNamed() int {
	for i := range p.toks {
		if wd, ok := p.weekdayAt(i); ok {
			return wd
		}
	}
	return -1
}
