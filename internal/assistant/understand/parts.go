package understand

// partAt reads a part of the day at i (R8) and returns it and the index
// after it: "morning", "late afternoon", "fin d'après-midi", "début
// d'après-midi", "fin de matinée", "lunchtime", "à l'heure du déjeuner",
// "after lunch", "après le déjeuner", "dîner" (lunch in Québec).
func (p *parser) partAt(i int) (part, int) {
	k := i
	mod := 0 // -1 early, +1 late
	switch {
	case p.wAny(k, "early", "debut"):
		mod, k = -1, k+1
	case p.wAny(k, "late", "fin"):
		mod, k = 1, k+1
	case p.wAny(k, "after", "apres") && !p.w(k+1, "midi") && !p.w(k+1, "demain"):
		kk := p.skipWords(k+1, "le", "the", "d")
		if p.wAny(kk, "lunch", "dejeuner", "lunchtime") {
			return pAfterLunch, kk + 1
		}
		return pNone, i
	}
	if mod != 0 {
		k = p.skipWords(k, "de", "d", "of", "the", "l")
	}
	t := p.tok(k)
	if t.kind != tkWord {
		return pNone, i
	}
	if t.text == "first" && p.w(k+1, "thing") {
		return pMorning, k + 2 // "first thing Monday"
	}
	pt := pNone
	j := k + 1
	switch {
	case t.text == "apres" && p.w(k+1, "midi"):
		pt, j = pAfternoon, k+2
	case t.text == "heure" && p.wAny(k+1, "du", "de") && p.wAny(k+2, "dejeuner", "diner", "lunch"):
		pt, j = pLunch, k+3
	case t.text == "dejeuner" && p.w(k-1, "petit"):
		return pNone, i // breakfast
	case t.text == "diner" || t.text == "dejeuner" || t.text == "dejeune" && p.wAny(k-1, "on", "dejeune", "je", "tu", "nous", "vous"):
		pt = pLunch
		if t.text == "diner" && !p.america {
			pt = pEvening // dîner in France is the evening meal
		}
	case t.text == "night" && !p.wAny(k-1, "at", "last", "per", "a"):
		pt = pEvening
	case t.lex.has(cPart) && t.text != "night" && t.text != "nuit":
		pt = t.lex.part
	}
	if pt == pNone {
		return pNone, i
	}
	switch {
	case mod < 0 && pt == pAfternoon:
		pt = pEarlyAfternoon
	case mod > 0 && pt == pAfternoon:
		pt = pLateAfternoon
	case mod > 0 && pt == pMorning:
		pt = pLateMorning
	case mod != 0:
		return pNone, i
	}
	return pt, j
}

// part appends the part of the day at i.
func (p *parser) part(i int) int {
	k := i
	// "in the morning", "dans la matinée", "à l'heure du déjeuner", "l'après-midi"
	for p.wAny(k, "in", "dans", "the", "la", "le", "l", "en", "a", "at", "for", "pour", "around") && k < i+3 {
		k++
	}
	pt, j := p.partAt(k)
	if pt == pNone {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aPart, i: i, j: j, part: pt, wd: -1, spec: 1})
	return j
}

// bound reads a window narrowed in the text (R8): "after 3", "after 2pm",
// "après 15h", "before 11", "avant 11h".
func (p *parser) bound(i int) int {
	var b int8
	switch {
	case p.wAny(i, "after", "apres", "past") && !p.w(i+1, "midi") && !p.w(i+1, "demain"):
		b = 1
	case p.wAny(i, "before", "avant") && !p.w(i+1, "hier"):
		b = -1
	default:
		return i
	}
	c, j, ok := p.clock(i + 1)
	if !ok {
		return i
	}
	p.atoms = append(p.atoms, atom{kind: aBound, i: i, j: j, tm: c, bound: b, wd: -1, spec: 1})
	return j
}
