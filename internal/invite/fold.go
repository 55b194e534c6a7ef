package invite

import (
	"bytes"
	"unicode/utf8"
)

// maxLineOctets is the longest content line RFC 5545 §3.1 allows, line
// break excluded.
const maxLineOctets = 75

// fold folds the CRLF-terminated content lines of an encoded iCalendar
// object at 75 octets (RFC 5545 §3.1): a long line continues on the next
// line after CRLF and one space, which counts in that line's 75 octets.
// UTF-8 sequences are never split. emersion/go-ical's encoder does not fold.
func fold(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/70*3)
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\r\n"))
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+2:]
		} else {
			b = nil
		}
		limit := maxLineOctets
		for len(line) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out.Write(line[:cut])
			out.WriteString("\r\n ")
			line = line[cut:]
			limit = maxLineOctets - 1
		}
		out.Write(line)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}
