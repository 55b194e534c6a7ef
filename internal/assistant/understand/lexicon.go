package understand

// cat is a set of categories a word belongs to; a word may be in several
// ("second" is an ordinal and a unit, "may" a month and a verb).
type cat uint64

const (
	cWeekday     cat = 1 << iota // monday, lundi
	cWeekdayAbbr                 // mon, tue; lun, mar: only in company (see weekdayAt)
	cMonth                       // march, mars
	cMonthAbbr                   // mar, sept, déc
	cNumWord                     // two, deux, septante
	cOrdinal                     // first, premier, last, dernier
	cUnit                        // minute, hour, day, week, month, year
	cMeridiem                    // am, pm
	cPart                        // morning, après-midi...
	cRelDay                      // today, tomorrow, demain
	cNext                        // next, prochain
	cThis                        // this, ce, cette
	cLast                        // last, dernier
	cZone                        // PT, ET, CET...
	cGlue                        // words that may sit inside a date expression
	cHoliday                     // halloween, toussaint
	cRecur                       // every, tous, chaque
	cNoon                        // noon, midi
	cMidnight                    // midnight, minuit
	cReq                         // request cues: meet, dispo, could
	cDistract                    // distractor cues: discussed, lands, deadline
	cNeg                         // not available: can't, pas, mort
	cPast                        // past-tense markers: was, had, a eu
	cSignoff                     // best, regards, cordialement
	cVideo                       // zoom, teams, jitsi
	cInPerson                    // person, présentiel
	cSubject                     // about, regarding, concernant
	cAfter                       // after, après
	cBefore                      // before, avant
	cQuarter                     // quarter, quart
	cHalf                        // half, demi, demie
	cApprox                      // around, about, vers
	cWeekend                     // weekend, week-end
	cWeek                        // week, semaine
	cDuring                      // for, pendant: a duration follows
	cFrom                        // from, de, du, between, entre
	cTo                          // to, till, until, à, au, and
	cUntil                       // until, jusqu
	cCount                       // times, sessions, séances
	cEarly                       // early, début
	cLate                        // late, fin
	cStart                       // starts a recogniser though in no other category ("same", "new", "twice")
)

// startCats are the categories of words a recogniser may start with; a word
// in none of them is passed over at once.
const startCats = cWeekday | cWeekdayAbbr | cMonth | cMonthAbbr | cNumWord | cOrdinal | cUnit | cPart | cRelDay | cNext | cThis |
	cLast | cZone | cGlue | cHoliday | cRecur | cNoon | cMidnight | cQuarter | cHalf | cApprox | cWeekend | cWeek | cDuring |
	cFrom | cTo | cUntil | cEarly | cLate | cStart | cAfter | cBefore

// lexeme is what the grammar knows of a folded word.
type lexeme struct {
	cat  cat
	wd   int8  // weekday 0 (Monday) .. 6, for cWeekday and cWeekdayAbbr
	mon  int8  // month 1..12
	num  int16 // value of a number word
	ord  int8  // 1..5, -1 for last
	unit unit  // for cUnit
	part part  // for cPart
	zone string
	hol  holiday
	vid  string // video provider
	en   int8   // language evidence
	fr   int8
	abbr bool // an abbreviation ("mon", "mar", "sept") needing company
}

type unit uint8

const (
	uNone unit = iota
	uMinute
	uHour
	uDay
	uWeek
	uFortnight
	uMonth
	uYear
)

type part uint8

const (
	pNone part = iota
	pMorning
	pLateMorning
	pLunch
	pAfternoon
	pEarlyAfternoon
	pLateAfternoon
	pEvening
	pNight
	pAfterLunch
)

// partBounds are the windows of rule 8, in minutes after midnight.
var partBounds = [...][2]int{
	pMorning:        {8 * 60, 12 * 60},
	pLateMorning:    {10 * 60, 12 * 60},
	pLunch:          {12 * 60, 14 * 60},
	pAfternoon:      {12 * 60, 18 * 60},
	pEarlyAfternoon: {12 * 60, 14 * 60},
	pLateAfternoon:  {16 * 60, 18 * 60},
	pEvening:        {18 * 60, 24 * 60},
	pNight:          {18 * 60, 24 * 60},
	pAfterLunch:     {14 * 60, 18 * 60},
}

type holiday uint8

const (
	hNone holiday = iota
	hNewYear
	hEasterMonday
	hWhitMonday
	hMemorialDay
	hHalloween
	hToussaint
	hBastille
	hChristmas
	hEaster
	hAscension
	hChristmasEve
	hNewYearEve
)

var lexicon = map[string]*lexeme{}

func add(word string, c cat, set func(*lexeme)) {
	l := lexicon[word]
	if l == nil {
		l = &lexeme{}
		lexicon[word] = l
	}
	l.cat |= c
	if set != nil {
		set(l)
	}
}

func words(c cat, set func(*lexeme), ws ...string) {
	for _, w := range ws {
		add(w, c, set)
	}
}

func en(n int8) func(*lexeme) { return func(l *lexeme) { l.en += n } }
func fr(n int8) func(*lexeme) { return func(l *lexeme) { l.fr += n } }

func init() {
	// Weekdays (R4) and their abbreviations.
	for i, w := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		i := int8(i)
		add(w, cWeekday, func(l *lexeme) { l.wd = i; l.en += 2 })
		add(w+"s", cWeekday, func(l *lexeme) { l.wd = i; l.en += 2 })
	}
	for i, w := range []string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"} {
		i := int8(i)
		add(w, cWeekday, func(l *lexeme) { l.wd = i; l.fr += 2 })
		add(w+"s", cWeekday, func(l *lexeme) { l.wd = i; l.fr += 2 })
	}
	for i, ws := range [][]string{{"mon"}, {"tue", "tues"}, {"wed", "weds"}, {"thu", "thur", "thurs"}, {"fri"}, {"sat"}, {"sun"}} {
		i := int8(i)
		for _, w := range ws {
			add(w, cWeekdayAbbr, func(l *lexeme) { l.wd = i; l.abbr = true })
		}
	}
	for i, w := range []string{"lun", "mar", "mer", "jeu", "ven", "sam", "dim"} {
		i := int8(i)
		add(w, cWeekdayAbbr, func(l *lexeme) { l.wd = i; l.abbr = true })
	}

	// Months.
	for i, w := range []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"} {
		i := int8(i + 1)
		add(w, cMonth, func(l *lexeme) { l.mon = i; l.en += 2 })
	}
	lexicon["may"].abbr = true   // also a verb: needs a day number beside it
	lexicon["march"].abbr = true // also a verb
	for i, w := range []string{"janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre", "decembre"} {
		i := int8(i + 1)
		add(w, cMonth, func(l *lexeme) { l.mon = i; l.fr += 2 })
	}
	for i, ws := range [][]string{{"jan", "janv"}, {"feb", "fev", "fevr"}, {"mar"}, {"apr", "avr"}, {}, {"jun"}, {"jul", "juil"}, {"aug"}, {"sep", "sept"}, {"oct"}, {"nov"}, {"dec"}} {
		i := int8(i + 1)
		for _, w := range ws {
			add(w, cMonthAbbr, func(l *lexeme) { l.mon = i; l.abbr = true })
		}
	}

	// Number words.
	for i, w := range []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
		"thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"} {
		i := int16(i)
		add(w, cNumWord, func(l *lexeme) { l.num = i; l.en++ })
	}
	for w, n := range map[string]int16{"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "ninety": 90, "a": 1, "an": 1} {
		add(w, cNumWord, func(l *lexeme) { l.num = n })
	}
	for i, w := range []string{"zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
		"treize", "quatorze", "quinze", "seize"} {
		i := int16(i)
		add(w, cNumWord, func(l *lexeme) { l.num = i; l.fr++ })
	}
	for w, n := range map[string]int16{"une": 1, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
		"septante": 70, "huitante": 80, "octante": 80, "nonante": 90, "cent": 100} {
		add(w, cNumWord, func(l *lexeme) { l.num = n; l.fr++ })
	}
	lexicon["a"].fr = 0
	lexicon["six"].en, lexicon["six"].fr = 0, 0

	// Ordinals.
	for w, n := range map[string]int8{"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
		"premier": 1, "premiere": 1, "deuxieme": 2, "seconde": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5, "dernier": -1, "derniere": -1} {
		add(w, cOrdinal, func(l *lexeme) { l.ord = n })
	}

	// Units.
	for u, ws := range map[unit][]string{
		uMinute:    {"minute", "minutes", "min", "mins", "mn", "mns"},
		uHour:      {"hour", "hours", "hr", "hrs", "heure", "heures", "hrs"},
		uDay:       {"day", "days", "jour", "jours", "journee", "journees"},
		uWeek:      {"week", "weeks", "wk", "wks", "semaine", "semaines"},
		uFortnight: {"fortnight", "fortnights"},
		uMonth:     {"month", "months", "mois"},
		uYear:      {"year", "years", "an", "ans", "annee", "annees"},
	} {
		u := u
		words(cUnit, func(l *lexeme) { l.unit = u }, ws...)
	}
	// "an" is an article far more often than a year: a unit only after a number.
	words(cWeek, nil, "week", "semaine")
	words(cWeekend, nil, "weekend", "weekends")

	words(cMeridiem, nil, "am", "pm")

	// Parts of the day (R8).
	for p, ws := range map[part][]string{
		pMorning:   {"morning", "mornings", "matin", "matinee", "matins"},
		pAfternoon: {"afternoon", "afternoons", "arvo", "aprem", "apm"},
		pEvening:   {"evening", "evenings", "soir", "soiree", "soirs"},
		pLunch:     {"lunch", "lunchtime", "dejeuner", "dejeune", "diner"},
		pNight:     {"night", "nuit"},
	} {
		p := p
		words(cPart, func(l *lexeme) { l.part = p }, ws...)
	}
	words(cRelDay, nil, "today", "tomorrow", "tonight", "yesterday", "demain", "hier", "tmrw", "tmr", "tomorow", "2day")
	words(cNext, nil, "next", "coming", "prochain", "prochaine", "prochains", "prochaines", "suivant", "suivante")
	words(cThis, nil, "this", "ce", "cet", "cette", "ces")
	words(cLast, nil, "last", "past", "previous", "dernier", "derniere", "derniers", "precedent")
	words(cNoon, nil, "noon", "midday", "midi", "noonish")
	words(cMidnight, nil, "midnight", "minuit")
	words(cQuarter, nil, "quarter", "quart")
	words(cHalf, nil, "half", "demi", "demie", "halfway")
	words(cApprox, nil, "around", "about", "approximately", "approx", "roughly", "vers", "environ", "circa", "ish")
	words(cAfter, nil, "after", "apres", "past")
	words(cBefore, nil, "before", "avant", "till", "by")
	words(cDuring, nil, "for", "pendant", "pour", "durant", "duree", "dure", "durera", "lasting", "over", "runs")
	// Words that start a recogniser and need a lexeme to be looked at.
	words(cStart, nil, "same", "meme", "new", "nouvel", "twice", "jour", "within", "couple", "whit", "memorial", "christmas", "veille", "saint", "aujourd", "later", "first", "thing", "over", "during", "current", "following",
		"fin", "mi", "mid", "end", "un", "une", "heure", "dans", "in", "a", "the", "le", "la", "l", "du", "on", "quart", "demi")
	words(cFrom, nil, "from", "between", "de", "du", "des", "entre", "d")
	words(cTo, nil, "to", "till", "until", "til", "through", "thru", "a", "au", "and", "et", "jusqu")
	words(cUntil, nil, "until", "till", "til", "through", "jusqu", "jusque")
	words(cCount, nil, "times", "sessions", "session", "occurrences", "meetings", "fois", "seances", "seance", "reunions", "occurrences", "classes", "lessons", "cours")
	words(cEarly, nil, "early", "debut", "beginning", "start")
	words(cLate, nil, "late", "fin", "end")

	// Zones named in the text (R1).
	for w, z := range map[string]string{
		"pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "pacific": "America/Los_Angeles",
		"et": "America/New_York", "est": "America/New_York", "edt": "America/New_York", "eastern": "America/New_York",
		"ct": "America/Chicago", "cst": "America/Chicago", "cdt": "America/Chicago", "central": "America/Chicago",
		"mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "mountain": "America/Denver",
		"cet": "Europe/Paris", "cest": "Europe/Paris",
		"gmt": "UTC", "utc": "UTC", "z": "UTC",
		"bst": "Europe/London", "jst": "Asia/Tokyo", "ist": "Asia/Kolkata", "sgt": "Asia/Singapore",
		"aest": "Australia/Sydney", "aedt": "Australia/Sydney", "hkt": "Asia/Hong_Kong",
	} {
		z := z
		add(w, cZone, func(l *lexeme) { l.zone = z })
	}

	// Holidays (R13).
	for w, h := range map[string]holiday{"halloween": hHalloween, "toussaint": hToussaint, "christmas": hChristmas, "noel": hChristmas,
		"easter": hEaster, "paques": hEaster, "pentecote": hWhitMonday, "whit": hWhitMonday, "ascension": hAscension, "memorial": hMemorialDay} {
		h := h
		add(w, cHoliday, func(l *lexeme) { l.hol = h })
	}

	words(cRecur, nil, "every", "each", "tous", "toutes", "chaque", "daily", "weekly", "monthly", "biweekly", "fortnightly",
		"quotidien", "quotidienne", "hebdo", "hebdomadaire", "mensuel", "mensuelle", "recurring", "recurrent")

	// Video providers and meeting in person.
	for w, v := range map[string]string{"zoom": "zoom", "teams": "teams", "jitsi": "jitsi", "meet": "google_meet", "hangout": "google_meet", "hangouts": "google_meet", "gmeet": "google_meet", "webex": "webex"} {
		v := v
		add(w, cVideo, func(l *lexeme) { l.vid = v })
	}
	words(cInPerson, nil, "person", "presentiel", "personne", "face", "visu", "onsite", "office", "offices", "bureau", "bureaux", "locaux")

	words(cSubject, nil, "about", "regarding", "re", "concerning", "discuss", "sujet", "propos", "concernant", "parler", "discuter")

	// Request cues (R15): the sentence proposes a time.
	words(cReq, nil,
		"meet", "meeting", "call", "chat", "talk", "speak", "sync", "catch", "schedule", "book", "set", "free", "available", "around",
		"work", "works", "suit", "suits", "how", "what", "would", "could", "can", "shall", "let", "propose", "suggest", "fancy", "hold",
		"block", "squeeze", "grab", "find", "instead", "ideally", "prefer", "need", "do", "regroup", "join", "come", "lock", "look",
		"voir", "voie", "voit", "retrouver", "retrouvons", "rencontrer", "parler", "parlons", "appeler", "appel", "point", "reunion", "rdv",
		"rendez", "dispo", "disponible", "disponibles", "libre", "libres", "propose", "proposer", "pourrait", "pourrions", "pourriez", "pourrais",
		"peut", "peux", "pouvons", "pouvez", "caler", "cale", "fixer", "bloquer", "organiser", "organisons", "faisons", "fait", "fais", "irait",
		"convient", "conviendrait", "arrangerait", "dirais", "diriez", "dirait", "serais", "seriez", "aurais", "auriez", "idealement", "plutot",
		"marche", "besoin", "faudrait", "refait", "refaire", "trouve", "trouver", "dejeune", "passer", "rejoindre", "prevoir", "prevois",
		"possible", "va", "aller", "souhaiterais", "dejeuner", "prenne", "jaser")
	// Distractors (R15): a date in the same clause is not the proposed
	// slot. Words that are distractors only in a phrase ("suite à", "merci
	// pour", "office hours", "moved from") are checked in cues.go.
	words(cDistract, nil,
		"discussed", "lands", "landed", "land", "landing", "arrive", "arrives", "arriving", "arrived", "flight", "flying", "fly",
		"travelling", "traveling", "back", "out", "away", "vacation", "leave", "since", "ago", "deadline", "due", "received",
		"sent", "paid", "finished", "started", "kicked", "missed", "miss", "thanks", "thank", "slipped", "lasted", "outage",
		"swamped", "held", "following", "goes",
		"convenu", "evoque", "discute", "deplace", "deplacee", "decale", "decalee", "reporte", "reportee", "glisse", "atterrit",
		"vol", "rentre", "retour", "absent", "absente", "conge", "vacances", "deplacement", "depuis", "limite", "echeance", "attendu",
		"recu", "recus", "envoye", "envoyes", "regle", "termine", "terminee", "commence", "manque", "manquer", "regrette", "panne",
		"horaires", "part", "deborde", "debordee")
	// Not available.
	words(cNeg, nil, "not", "cant", "cannot", "t", "dont", "doesnt", "wont", "isnt", "unable", "gone", "taken", "busy",
		"pas", "mort", "pris", "prise", "impossible", "ne", "occupe", "occupee", "complet")
	// Past tense.
	words(cPast, nil, "was", "were", "had", "did", "went", "happened", "yesterday", "eu", "ete", "etait", "hier", "passe", "passee", "passes")
	// Sign-off lines: the signature follows.
	words(cSignoff, nil, "best", "regards", "cheers", "thanks", "thank", "sincerely", "yours", "kind", "warm", "warmly",
		"cordialement", "amicalement", "bien", "merci", "salutations", "bisous", "bises", "agreer", "atenciosamente")

	// Glue: words that may sit between the parts of one date expression.
	words(cGlue, nil, "at", "on", "the", "in", "of", "around", "about", "for", "by", "from", "starting", "beginning", "this", "ideally",
		"preferably", "maybe", "say", "or", "and", "then", "sometime", "some", "time", "any", "or", "either",
		"a", "le", "la", "les", "l", "de", "du", "d", "des", "en", "dans", "vers", "pour", "pendant", "partir", "des", "ou", "et",
		"plutot", "idealement", "preference", "courant", "cours", "disons", "soit", "alors", "environ", "ca", "so", "my", "time", "your",
		"maybe", "possibly", "perhaps", "peut", "etre", "bien", "sur", "o", "clock", "h", "heure", "heures", "with", "avec")

	// Language evidence: frequent function words (a small stop-word scorer).
	words(0, en(1), "the", "and", "to", "of", "is", "are", "you", "we", "can", "at", "for", "with", "it", "i", "be", "would", "could",
		"let", "s", "me", "my", "in", "your", "free", "how", "about", "what", "will", "have", "do", "on", "this", "next", "that", "if",
		"meet", "works", "work", "call", "hi", "hello", "thanks", "please", "week", "morning", "afternoon", "evening", "every", "from",
		"an", "or", "our", "us", "time", "meeting", "weekend", "days", "hours", "day", "hour", "quick", "sounds", "good",
		"by", "best", "regards", "dear", "tomorrow", "today", "tonight", "when", "any", "some", "there", "should", "shall", "am", "pm",
		"noon", "midnight", "o", "clock", "half", "quarter", "past", "after", "before", "around", "just", "not", "no", "yes", "up")
	words(0, fr(1), "le", "la", "les", "de", "des", "du", "et", "un", "une", "est", "je", "tu", "vous", "nous", "pour", "avec", "en",
		"ce", "cette", "cet", "que", "qui", "pas", "sur", "mais", "ou", "dans", "se", "sa", "son", "ses", "mes", "mon", "ton", "vos",
		"votre", "notre", "nos", "bonjour", "salut", "merci", "semaine", "matin", "soir", "apres", "midi", "prochain", "prochaine",
		"heure", "heures", "demain", "aujourd", "hui", "ca", "va", "me", "te", "moi", "toi", "plus", "tous", "toutes", "chaque",
		"quand", "faire", "peut", "on", "au", "aux", "d", "l", "qu", "c", "j", "n", "s", "y", "il", "elle", "sont", "suis", "es",
		"avez", "avons", "bien", "cordialement", "point", "reunion", "rendez", "minuit", "dispo", "jour", "jours", "mois", "quart",
		"demi", "demie", "vers", "entre", "jusqu", "fin", "debut", "chez", "aussi", "tres", "alors", "donc", "parce")
	lexicon["on"].en = 1
	lexicon["on"].fr = 1
}

func (l *lexeme) has(c cat) bool { return l != nil && l.cat&c != 0 }
