package message

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseIDs(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"<a@x.example>", []string{"a@x.example"}},
		{"  <a@X.Example>  ", []string{"a@x.example"}},
		{"<A@x> <b@y>", []string{"A@x", "b@y"}},
		{"<a@x>\r\n <b@y>,\r\n\t<c@z>", []string{"a@x", "b@y", "c@z"}},
		{"<a@x> (Ann's message of Monday <junk@nowhere>) <b@y>", []string{"a@x", "b@y"}},
		{`Ann's message of "Mon, 2 Mar 2026 10:00:00 +0100" <a@x>`, []string{"a@x"}},
		{"a@x b@y", []string{"a@x", "b@y"}},
		{"<a@x> b@y, <c@z>", []string{"a@x", "b@y", "c@z"}},
		{"<a@x> <a@x> <a@X>", []string{"a@x"}},
		{"<folded\r\n -id@x>", []string{"folded-id@x"}},
		{"<no-at-sign>", []string{"no-at-sign"}},
		{"<>", nil},
		{"junk without ids", nil},
		{"<unclosed@x", []string{"unclosed@x"}},
		{"(<in@comment>) <a@x>", []string{"a@x"}},
		{"", nil},
	} {
		got, _ := ParseIDs(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseIDs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestParseIDsBound checks MaxIDs: the root and the most recent ids stay.
func TestParseIDsBound(t *testing.T) {
	var b strings.Builder
	for i := range 3 * MaxIDs {
		fmt.Fprintf(&b, "<id%d@x> ", i)
	}
	ids, cut := ParseIDs(b.String())
	if !cut || len(ids) != MaxIDs {
		t.Fatalf("%d ids, cut %v; want %d and true", len(ids), cut, MaxIDs)
	}
	if ids[0] != "id0@x" || ids[len(ids)-1] != fmt.Sprintf("id%d@x", 3*MaxIDs-1) {
		t.Errorf("kept %s … %s, want the root and the last", ids[0], ids[len(ids)-1])
	}
}

func TestTopic(t *testing.T) {
	for in, want := range map[string]string{
		"Re: Re: Budget":                      "Budget",
		"RE : Budget":                         "Budget",
		"Re\u00a0: Atelier":                   "Atelier",
		"Fwd: TR: Budget":                     "Budget",
		"TR : Séminaire":                      "Séminaire",
		"Réf. : Budget":                       "Budget",
		"Rép. : Atelier":                      "Atelier",
		"AW: WG: Termin":                      "Termin",
		"[ext] Re: [Team] Fwd: Plan":          "Plan",
		"Re[2]: Plan":                         "Plan",
		"RE^3: Plan":                          "Plan",
		"Re(4): Plan":                         "Plan",
		"Re：Plan":                             "Plan",
		"Budget: Q2":                          "Budget: Q2",
		"Revue: Q2":                           "Revue: Q2",
		"Re: Trip (fwd)":                      "Trip",
		"[only a tag]":                        "[only a tag]",
		"":                                    "",
		"Re:":                                 "",
		"Accepted: Q2 planning @ Thu Mar 12":  "Accepted: Q2 planning @ Thu Mar 12",
		"Tr. : Déjeuner":                      "Déjeuner",
		"SV: VS: Antw: Doorst: RV: Enc: Plan": "Plan",
	} {
		if got := Topic(in); got != want {
			t.Errorf("Topic(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ThreadSubject("RE :  Budget   2026 "); got != "budget 2026" {
		t.Errorf("ThreadSubject = %q", got)
	}
}

func TestIsForwardSubject(t *testing.T) {
	for in, want := range map[string]bool{
		"Fwd: Plan": true, "FW: Plan": true, "TR : Plan": true, "WG: Plan": true, "[ext] Fwd: Plan": true,
		"Re: Fwd: Plan": false, "Plan": false, "Réf. : TR : Plan": false, "Tr. : Plan": true,
	} {
		if got := isForwardSubject(in); got != want {
			t.Errorf("isForwardSubject(%q) = %v", in, got)
		}
	}
}

func TestParseAddressList(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Address
	}{
		{"Ann <ann@x.example>, bob@y.example", []Address{{"Ann", "ann@x.example"}, {"", "bob@y.example"}}},
		{"Team: Ann <ann@x>, bob@y;, carl@z", []Address{{"Ann", "ann@x"}, {"", "bob@y"}, {"", "carl@z"}}},
		{"undisclosed-recipients:;", []Address{}},
		{"=?utf-8?Q?Ren=C3=A9e?= <renee@x>", []Address{{"Renée", "renee@x"}}},
		{`"Fournier, =?utf-8?Q?Ren=C3=A9e?=" <renee@x>`, []Address{{"Fournier, Renée", "renee@x"}}},
		{"Jürgen <juergen@bücher.example>", []Address{{"Jürgen", "juergen@bücher.example"}}},
		{"G\xe9rard <g@x>", []Address{{"Gérard", "g@x"}}},
		// What net/mail refuses, read item by item.
		{"Ann Lefebvre [mailto:ann@x.example]", []Address{{"Ann Lefebvre", "ann@x.example"}}},
		{"Ann <ann@x>; Bob Martin <bob@y>", []Address{{"Ann", "ann@x"}, {"Bob Martin", "bob@y"}}},
		{"Smith, Bob; Doe, Jane", []Address{{"Smith, Bob", ""}, {"Doe, Jane", ""}}},
		{"Bonnet, Marc", []Address{{"Bonnet, Marc", ""}}},
		{"Bob, Claire, Dave", []Address{{"Bob", ""}, {"Claire", ""}, {"Dave", ""}}},
		{"ann@x, <<broken, bob@y", []Address{{"", "ann@x"}, {"", "bob@y"}}},
		{"", nil},
	} {
		got := ParseAddressList(c.in)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseAddressList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestAddressKey(t *testing.T) {
	if AddressKey("Ann@Bücher.Example") != AddressKey("ann@xn--bcher-kva.example") {
		t.Errorf("IDN forms differ: %q %q", AddressKey("Ann@Bücher.Example"), AddressKey("ann@xn--bcher-kva.example"))
	}
	if AddressKey(" BOB@Partner.Example ") != "bob@partner.example" {
		t.Errorf("case: %q", AddressKey(" BOB@Partner.Example "))
	}
}

func TestLanguageTags(t *testing.T) {
	if got := languageTags("fr-FR, fr;q=0.9, en;q=0.8, *;q=0.1"); !reflect.DeepEqual(got, []string{"fr-FR", "fr", "en"}) {
		t.Errorf("Accept-Language: %q", got)
	}
	if got := languageTags("en;q=0.5, fr"); !reflect.DeepEqual(got, []string{"fr", "en"}) {
		t.Errorf("q order: %q", got)
	}
	if got := languageTags("de;q=0, en-GB"); !reflect.DeepEqual(got, []string{"en-GB"}) {
		t.Errorf("q=0: %q", got)
	}
}

// TestLanguageHint checks that Content-Language breaks a tie the text
// leaves ("15:30?"), and that the text wins otherwise.
func TestLanguageHint(t *testing.T) {
	msg := func(lang, body string) string {
		field := "Content-Language: "
		if strings.HasPrefix(lang, "accept ") {
			field, lang = "Accept-Language: ", lang[len("accept "):]
		}
		return "From: a@x.example\r\nSubject: 14h\r\n" + field + lang + "\r\n\r\n" + body + "\r\n"
	}
	for _, c := range []struct{ lang, body, want string }{
		{"fr-FR", "15:30 ?", "fr"},
		{"accept fr-CA, en;q=0.5", "15:30 ?", "fr"},
		{"en-US", "15:30 ?", "en"},
		{"fr", "Could we meet on Thursday at 3pm?", "en"},
		{"en", "Est-ce que jeudi à 15h vous convient ?", "fr"},
	} {
		m, err := Read([]byte(msg(c.lang, c.body)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Language) != c.want {
			t.Errorf("%s %q: language %s, want %s", c.lang, c.body, m.Language, c.want)
		}
	}
}
