package message

import "strings"

// unflow joins the lines of a format=flowed text (RFC 3676). No maintained
// Go library does this, and it is short: a line that ends with a space is
// soft-broken and continues on the next line of the same quote depth
// (§4.2); a leading space is stuffing and is removed (§4.4); "-- " is never
// flowed (§4.3); with DelSp=yes the trailing space is deleted when joining
// (§4.2). Quote depth is the number of leading ">" (§4.5), written back as
// "> " per level.
func unflow(s string, delsp bool) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	var b strings.Builder
	b.Grow(len(s))
	var para strings.Builder
	paraDepth := -1
	flush := func() {
		if paraDepth < 0 {
			return
		}
		writeQuoted(&b, paraDepth, para.String())
		b.WriteByte('\n')
		para.Reset()
		paraDepth = -1
	}
	for i, ln := range lines {
		if i == len(lines)-1 && ln == "" {
			break
		}
		depth := 0
		for depth < len(ln) && ln[depth] == '>' {
			depth++
		}
		ln = ln[depth:]
		if strings.HasPrefix(ln, " ") {
			ln = ln[1:]
		}
		if paraDepth >= 0 && (depth != paraDepth || ln == "-- ") {
			// §4.5: a change of depth ends the paragraph; so does the
			// signature separator, which §4.3 keeps on its own line.
			flush()
		}
		flowed := strings.HasSuffix(ln, " ") && ln != "-- "
		if flowed && delsp {
			ln = ln[:len(ln)-1]
		}
		para.WriteString(ln)
		paraDepth = depth
		if !flowed {
			flush()
		}
	}
	flush()
	return b.String()
}

func writeQuoted(b *strings.Builder, depth int, s string) {
	if depth > 0 {
		b.WriteString(strings.Repeat(">", depth))
		b.WriteByte(' ')
	}
	b.WriteString(s)
}
