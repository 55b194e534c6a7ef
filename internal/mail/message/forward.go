package message

import (
	"net/mail"
	"strings"
)

// parseForward reads a forwarded message from the lines after its forward
// line (or from its header block, for Outlook): the header block ("From:",
// "Date:"/"Sent:", "Subject:", "To:", "Cc:" and their French forms), then
// the body. Lines quoted one level deeper than the first (Apple Mail puts
// the forwarded message in a blockquote) are brought back to level 0.
// firstCut says the first line is an Outlook cut point, not history of the
// forwarded message.
func parseForward(ls []line, firstCut bool) *Forward {
	f := &Forward{}
	k := nextText(ls, 0)
	if k < 0 {
		return f
	}
	d0, h0 := ls[k].depth, ls[k].hist
	body := make([]line, 0, len(ls)-k)
	for i, l := range ls[k:] {
		l.depth = max(0, l.depth-d0)
		l.hist = max(0, l.hist-h0)
		if i == 0 && firstCut {
			l.cut = false
		}
		body = append(body, l)
	}
	i := 0
	for i < len(body) {
		t := norm(body[i].text)
		if t == "" || isUnderscoreLine(t) || isOriginalMessage(t) {
			i++
			continue
		}
		break
	}
	seen, last := false, ""
	values := map[string]string{}
	for ; i < len(body); i++ {
		t := norm(body[i].text)
		if t == "" {
			if seen {
				i++
				break
			}
			continue
		}
		if role, v, ok := field(t); ok {
			if _, dup := values[role]; !dup || role == "other" {
				values[role] = v
			}
			seen, last = true, role
			continue
		}
		if seen && (last == "to" || last == "cc") && (strings.Contains(t, "@") || strings.HasSuffix(values[last], ",") || strings.HasSuffix(values[last], ";")) {
			values[last] += " " + t // a wrapped list of recipients
			continue
		}
		break
	}
	if from := ParseAddressList(values["from"]); len(from) > 0 {
		f.From = from[0]
	}
	f.To = boundAddresses(ParseAddressList(values["to"]))
	f.Cc = boundAddresses(ParseAddressList(values["cc"]))
	f.Subject = decodeHeader(values["subject"])
	f.Date = values["date"]
	if t, err := mail.ParseDate(f.Date); err == nil {
		f.DateTime = t
	}
	rest := body[i:]
	f.Text = linesText(rest)
	own, _ := split(rest, isForwardSubject(f.Subject), false)
	f.NewText = clean(own)
	return f
}

func boundAddresses(l []Address) []Address {
	if len(l) > MaxAddresses {
		return l[:MaxAddresses]
	}
	return l
}
