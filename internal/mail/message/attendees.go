package message

import (
	"strings"
	"unicode"

	"github.com/convene/convene/internal/assistant/understand"
)

// Person is a user of the account, as the Directory knows them.
type Person struct {
	Name  string // "Claire Dubois"
	Email string
}

// Directory finds the account's users by a name written in a message. The
// caller (the conversation layer) implements it over the store; People is
// an implementation over a list.
type Directory interface {
	// Lookup returns the users whose full name or first name is name
	// (case and accents aside): none, one, or several when ambiguous.
	Lookup(name string) []Person
}

// People is a Directory over a list of users.
type People []Person

// Lookup returns the people whose full name, or first name, is name, case
// and accents aside ("claire" and "Cláire" find "Claire Dubois"; "Claire
// Dubois" finds her only).
func (p People) Lookup(name string) []Person {
	q := foldName(name)
	if q == "" {
		return nil
	}
	var out []Person
	for _, x := range p {
		full := foldName(x.Name)
		first, _, _ := strings.Cut(full, " ")
		if full == q || first == q {
			out = append(out, x)
		}
	}
	return out
}

// foldName lower-cases a name, removes the accents of Latin letters and
// makes runs of spaces one space.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.Join(strings.Fields(s), " ")) {
		if f, ok := accents[r]; ok {
			b.WriteString(f)
			continue
		}
		if unicode.IsLetter(r) || r == ' ' || r == '-' || r == '\'' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// accents folds the accented Latin letters of French and its neighbours.
var accents = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'æ': "ae", 'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss", '’': "'",
}

// Source says where an attendee was found.
type Source string

// The sources of attendees.
const (
	SourceTo        Source = "to"        // the To field
	SourceCc        Source = "cc"        // the Cc field
	SourceForwarded Source = "forwarded" // the forwarded message's From, To or Cc
	SourceNamed     Source = "named"     // a name in the new text, resolved in the Directory
)

// Attendee is a person the message invites.
type Attendee struct {
	Name, Email string
	Source      Source
}

// Ambiguity is a name that several users carry: reported, not guessed.
type Ambiguity struct {
	Name       string
	Candidates []Person
}

// Attendees are the people a message invites.
type Attendees struct {
	// List has the attendees in order (To, Cc, the forwarded message's
	// people, then the names resolved), each address once.
	List []Attendee
	// Ambiguous are the names several users match; Unknown the names (in
	// the text, or a forwarded "From:" without an address) no user
	// matches.
	Ambiguous []Ambiguity
	Unknown   []string
	// Truncated says the list stopped at MaxAddresses.
	Truncated bool
}

// Attendees returns the people the message invites: its To and Cc, and
// when it forwards a message that message's From, To and Cc, less the
// assistant's addresses and the sender (the organizer), each once (case
// aside, IDN domains in either form); then the names its new text gives
// ("with Bob and Claire", "avec Claire") resolved in dir: a name already
// among the attendees (by first or full name) adds no one, one user is
// added, several are reported as ambiguous, none as unknown. dir may be
// nil: every name is then unknown.
func (m *Message) Attendees(assistant []string, dir Directory) Attendees {
	var out Attendees
	skip := map[string]bool{}
	for _, a := range assistant {
		skip[AddressKey(a)] = true
	}
	if m.From.Email != "" {
		skip[AddressKey(m.From.Email)] = true
	}
	seen := map[string]int{}
	add := func(a Address, src Source) {
		if a.Email == "" {
			return
		}
		k := AddressKey(a.Email)
		if skip[k] {
			return
		}
		if i, ok := seen[k]; ok {
			if out.List[i].Name == "" {
				out.List[i].Name = a.Name
			}
			return
		}
		if len(out.List) >= MaxAddresses {
			out.Truncated = true
			return
		}
		seen[k] = len(out.List)
		out.List = append(out.List, Attendee{Name: a.Name, Email: a.Email, Source: src})
	}
	for _, a := range m.To {
		add(a, SourceTo)
	}
	for _, a := range m.Cc {
		add(a, SourceCc)
	}
	var names []string
	if f := m.Forward; f != nil {
		for _, l := range [][]Address{{f.From}, f.To, f.Cc} {
			for _, a := range l {
				if a.Email == "" && a.Name != "" {
					names = append(names, a.Name) // "From: Smith, Bob" in an Outlook forward
					continue
				}
				add(a, SourceForwarded)
			}
		}
	}
	// The forwarded message's names first: "Claire Martin" in its Cc
	// settles who "Claire" in the organizer's text is.
	for _, n := range append(names, understand.Names(m.NewText)...) {
		if sameName(n, m.From.Name) || out.named(n) {
			continue
		}
		var found []Person
		if dir != nil {
			found = dir.Lookup(unLastFirst(n)) // "Bonnet, Marc": Outlook's last name first
		}
		switch {
		case len(found) == 1:
			add(Address{Name: found[0].Name, Email: found[0].Email}, SourceNamed)
			if k := AddressKey(found[0].Email); !skip[k] {
				if i, ok := seen[k]; ok && out.List[i].Source == SourceNamed && out.List[i].Name == "" {
					out.List[i].Name = found[0].Name
				}
			}
		case len(found) > 1:
			if len(found) > 10 {
				found = found[:10]
			}
			out.Ambiguous = append(out.Ambiguous, Ambiguity{Name: n, Candidates: found})
		default:
			out.Unknown = append(out.Unknown, n)
		}
	}
	return out
}

// named reports whether a name is already among the attendees, by full
// name or first name.
func (a *Attendees) named(n string) bool {
	for _, x := range a.List {
		if sameName(n, x.Name) {
			return true
		}
	}
	return false
}

// unLastFirst turns "Martin, Bob" into "Bob Martin".
func unLastFirst(n string) string {
	if last, first, ok := strings.Cut(n, ","); ok {
		return strings.TrimSpace(first) + " " + strings.TrimSpace(last)
	}
	return n
}

// sameName reports whether a written name designates a display name: the
// same full name, or the display name's first name ("Bob" and "Bob
// Martin"), case and accents aside; "Martin, Bob" is read as "Bob Martin".
func sameName(written, display string) bool {
	w, d := foldName(unLastFirst(written)), foldName(unLastFirst(display))
	if w == "" || d == "" {
		return false
	}
	first, _, _ := strings.Cut(d, " ")
	return w == d || w == first
}
