package understand

import (
	"unicode/utf8"
)

// MaxInput is the longest text Parse reads, in bytes: a long e-mail's new
// text fits with room to spare. Longer input is cut at a character boundary
// before anything else happens, so the work of one call is bounded (the
// tokenizer and the grammar are linear in the input).
const MaxInput = 64 << 10

// maxTokens bounds the tokens of one text (a 64 KiB text of one-letter words
// has about 32,768).
const maxTokens = MaxInput / 2

type tokKind uint8

const (
	tkWord  tokKind = iota + 1 // letters, folded to lower-case ASCII
	tkNum                      // ASCII digits
	tkPunct                    // one punctuation character
)

// token is one word, number or punctuation mark of the text.
type token struct {
	text  string // folded form (lower case, accents removed)
	lex   *lexeme
	start int32 // byte offsets in the original text
	end   int32
	num   int32 // value of a number (capped), -1 otherwise
	ndig  uint8 // digits of a number
	kind  tokKind
	glued bool // no space before this token (it touches the previous one)
	nl    bool // a line break before this token
	para  bool // a blank line before this token
	hyph  bool // a hyphen or apostrophe joined this word to the previous one
}

// foldRune maps a rune to its folded ASCII form: lower case, accents
// removed. It returns "" for runes that separate words and a one-character
// punctuation string for the punctuation the grammar reads.
func foldRune(r rune) (s string, letter bool) {
	if r < utf8.RuneSelf {
		c := byte(r)
		switch {
		case c >= 'a' && c <= 'z':
			return asciiStr[c], true
		case c >= 'A' && c <= 'Z':
			return asciiStr[c+'a'-'A'], true
		case c >= '0' && c <= '9':
			return asciiStr[c], false
		}
		switch c {
		case '.', ',', ':', '/', '-', '?', '!', ';', '(', ')', '\'', '&', '+', '@', '"', '#', '%':
			return asciiStr[c], false
		}
		return "", false
	}
	if f, ok := foldTable[r]; ok {
		return f, f != "-" && f != "'" && f != "\"" && f != "?" && f != "!"
	}
	return "", false
}

var asciiStr = func() (t [128]string) {
	for i := range t {
		t[i] = string(rune(i))
	}
	return
}()

// foldTable folds the non-ASCII letters of English and French text (and a
// few neighbours) and the typographic punctuation French uses.
var foldTable = map[rune]string{
	'à': "a", 'â': "a", 'ä': "a", 'á': "a", 'ã': "a", 'å': "a",
	'À': "a", 'Â': "a", 'Ä': "a", 'Á': "a",
	'ç': "c", 'Ç': "c",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'É': "e", 'È': "e", 'Ê': "e", 'Ë': "e",
	'î': "i", 'ï': "i", 'í': "i", 'ì': "i", 'Î': "i", 'Ï': "i",
	'ô': "o", 'ö': "o", 'ó': "o", 'ò': "o", 'õ': "o", 'Ô': "o", 'Ö': "o",
	'ù': "u", 'û': "u", 'ü': "u", 'ú': "u", 'Ù': "u", 'Û': "u", 'Ü': "u",
	'ÿ': "y", 'ñ': "n", 'Ñ': "n",
	'œ': "oe", 'Œ': "oe", 'æ': "ae", 'Æ': "ae", 'ß': "ss",
	'’': "'", '‘': "'", 'ʼ': "'", '´': "'",
	'–': "-", '—': "-", '‑': "-", '‐': "-", '−': "-",
	'«': "\"", '»': "\"", '“': "\"", '”': "\"",
	'？': "?", '！': "!",
}

// tokenize splits p.text into p.toks, folding words once into one buffer:
// the tokens' texts are slices of a single string. Spans in p.skips (the
// e-mail addresses and links found beforehand) produce no tokens. Hyphens
// and apostrophes inside words ("après-midi", "aujourd'hui", "o'clock")
// split the word without a token and mark the next word; any other hyphen
// ("2-3pm", "14h-15h", "June 29 - July 1") is kept as a range mark.
func (p *parser) tokenize() {
	text := p.text
	var (
		cur      tokKind // kind of the token being built
		curStart int
		fstart   int
		glued    bool
		nl, para bool
		hyph     bool
		lines    int
		sk       int
	)
	buf := p.fold[:0]
	toks := p.toks[:0]
	spans := p.spans[:0]
	flush := func(end int) {
		if cur == 0 {
			return
		}
		if len(toks) < maxTokens {
			t := token{kind: cur, start: int32(curStart), end: int32(end), glued: glued, nl: nl, para: para, hyph: hyph, num: -1}
			w := buf[fstart:]
			if cur == tkNum {
				n := int32(0)
				for _, c := range w {
					if n < 1e6 {
						n = n*10 + int32(c-'0')
					}
				}
				t.num = n
				t.ndig = uint8(min(len(w), 255))
			} else {
				t.lex = lexicon[string(w)] // a map index by converted bytes does not allocate
			}
			toks = append(toks, t)
			spans = append(spans, [2]int32{int32(fstart), int32(len(buf))})
		}
		cur = 0
		glued, nl, para, hyph = true, false, false, false
	}
	for i := 0; i < len(text); {
		if sk < len(p.skips) && i >= p.skips[sk][0] {
			flush(i)
			i = max(i, p.skips[sk][1])
			sk++
			glued, lines = false, 0
			continue
		}
		r, size := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		f, letter := foldRune(r)
		switch {
		case f == "":
			flush(i)
			if r == '\n' {
				lines++
				nl = true
				if lines >= 2 {
					para = true
				}
			}
			glued = false
		case letter:
			if cur != tkWord {
				flush(i)
				cur, curStart, fstart = tkWord, i, len(buf)
			}
			buf = append(buf, f...)
			lines = 0
		case f[0] >= '0' && f[0] <= '9':
			if cur != tkNum {
				flush(i)
				cur, curStart, fstart = tkNum, i, len(buf)
			}
			buf = append(buf, f[0])
			lines = 0
		default:
			c := f[0]
			prevKind := cur
			flush(i)
			lines = 0
			if (c == '\'' || c == '-') && prevKind == tkWord || c == '-' && prevKind == tkNum {
				if nk := nextKind(text, i+size); nk == tkWord {
					// Inside a word ("après-midi", "l'heure") or a compound
					// like "30-minute": no token, the next word is marked.
					hyph, glued = true, true
					i += size
					continue
				}
			}
			if len(toks) < maxTokens {
				fs := len(buf)
				buf = append(buf, c)
				toks = append(toks, token{kind: tkPunct, start: int32(i), end: int32(i + size), glued: glued, nl: nl, para: para, num: -1})
				spans = append(spans, [2]int32{int32(fs), int32(len(buf))})
			}
			glued, nl, para, hyph = true, false, false, false
		}
		i += size
	}
	flush(len(text))
	folded := string(buf) // the one allocation of the folded text
	for i := range toks {
		toks[i].text = folded[spans[i][0]:spans[i][1]]
	}
	p.fold, p.toks, p.spans = buf, toks, spans
}

// nextKind returns the kind of token that starts at text[i].
func nextKind(text string, i int) tokKind {
	if i >= len(text) {
		return 0
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	f, letter := foldRune(r)
	switch {
	case letter:
		return tkWord
	case f != "" && f[0] >= '0' && f[0] <= '9':
		return tkNum
	}
	return 0
}

// findSkips finds e-mail addresses and links in text. Addresses are returned
// as found (in order, as written); both kinds of span are left out of the
// tokens so that their digits and words read as nothing.
func findSkips(text string, skips [][2]int, addrs []string) ([][2]int, []string) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '@':
			s := i
			for s > 0 && isAddrLocal(text[s-1]) {
				s--
			}
			e := i + 1
			dot := false
			for e < len(text) && isAddrDomain(text[e]) {
				if text[e] == '.' {
					dot = true
				}
				e++
			}
			for e > i+1 && text[e-1] == '.' {
				e--
			}
			for s < i && text[s] == '.' {
				s++
			}
			if s < i && dot && e > i+1 && text[e-1] != '-' {
				if n := len(skips); n > 0 && skips[n-1][1] > s {
					s = skips[n-1][1]
				}
				skips = append(skips, [2]int{s, e})
				if len(addrs) < 300 {
					addrs = append(addrs, text[s:e])
				}
				i = e - 1
			}
		case (c == 'h' || c == 'H') && hasPrefixFold(text[i:], "http://") || hasPrefixFold(text[i:], "https://") || ((c == 'w' || c == 'W') && hasPrefixFold(text[i:], "www.") && (i == 0 || !isAddrLocal(text[i-1]))):
			e := i
			for e < len(text) && text[e] > ' ' && text[e] != '>' && text[e] != ')' {
				e++
			}
			skips = append(skips, [2]int{i, e})
			i = e - 1
		}
	}
	return skips, addrs
}

func isAddrLocal(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isAddrDomain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}
