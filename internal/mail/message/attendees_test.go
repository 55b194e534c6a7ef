package message

import (
	"reflect"
	"strings"
	"testing"
)

func TestPeopleLookup(t *testing.T) {
	names := func(l []Person) []string {
		var s []string
		for _, p := range l {
			s = append(s, p.Name)
		}
		return s
	}
	for q, want := range map[string][]string{
		"Claire":         {"Claire Dubois", "Claire Martin"},
		"claire dubois":  {"Claire Dubois"},
		"Cláire  Dubois": {"Claire Dubois"},
		"theo":           {"Théo Garcia"},
		"Bob":            {"Bob Martin"},
		"Martin":         nil, // a last name alone is not a first name
		"":               nil,
	} {
		if got := names(directory.Lookup(q)); !reflect.DeepEqual(got, want) {
			t.Errorf("Lookup(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestAttendees(t *testing.T) {
	m := readString(t, "From: Ann Lefebvre <ann@acme.example>\r\n"+
		"To: Bob Martin <bob@partner.example>, assistant@convene.example\r\n"+
		"Cc: BOB@PARTNER.EXAMPLE, ann@acme.example, Dana <dana@partner.example>, Other Assistant <help@convene.example>\r\n"+
		"Subject: Sync\r\n\r\nCan we meet next week with Bob, Théo, Claire and Zoltan?\r\n")
	got := m.Attendees([]string{"Assistant@Convene.Example", "help@convene.example"}, directory)
	var list []string
	for _, a := range got.List {
		list = append(list, a.Email+"/"+string(a.Source))
	}
	// Bob is in To (not added again by name), the assistants and the
	// sender are left out, the duplicate in other case is one.
	want := []string{"bob@partner.example/to", "dana@partner.example/cc", "theo@acme.example/named"}
	if !reflect.DeepEqual(list, want) {
		t.Errorf("attendees %q, want %q", list, want)
	}
	if len(got.Ambiguous) != 1 || got.Ambiguous[0].Name != "Claire" || len(got.Ambiguous[0].Candidates) != 2 {
		t.Errorf("ambiguous %+v", got.Ambiguous)
	}
	if !reflect.DeepEqual(got.Unknown, []string{"Zoltan"}) {
		t.Errorf("unknown %q", got.Unknown)
	}
	// Without a directory every name is unknown, none is guessed.
	if got := m.Attendees([]string{"assistant@convene.example"}, nil); len(got.List) != 3 || len(got.Unknown) != 3 {
		t.Errorf("nil directory: %+v", got)
	}
}

// TestAttendeesForward: the forwarded message's people are invited, the
// organizer's "Claire" is settled by the forwarded Cc's "Claire Martin",
// and Outlook's "Bonnet, Marc" is found by its name.
func TestAttendeesForward(t *testing.T) {
	m := readFile(t, "outlook-forward-fr")
	got := m.Attendees([]string{"assistant@convene.example"}, directory)
	var list []string
	for _, a := range got.List {
		list = append(list, a.Email)
	}
	if !reflect.DeepEqual(list, []string{"marc.bonnet@acme.example", "claire.martin@acme.example"}) || len(got.Ambiguous) != 0 || len(got.Unknown) != 0 {
		t.Errorf("got %+v", got)
	}
}

// TestAttendeesBound checks MaxAddresses.
func TestAttendeesBound(t *testing.T) {
	var to []string
	for i := range 3 * MaxAddresses {
		to = append(to, "p"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+itoa(i)+"@x.example")
	}
	cc := strings.ReplaceAll(strings.Join(to, ", "), "@x.example", "@y.example")
	m := readString(t, "From: a@x.example\r\nTo: "+strings.Join(to, ", ")+"\r\nCc: "+cc+"\r\n\r\nhi\r\n")
	if len(m.To) != MaxAddresses || len(m.Cc) != MaxAddresses || !m.Truncated {
		t.Errorf("%d To and %d Cc addresses kept, truncated %v", len(m.To), len(m.Cc), m.Truncated)
	}
	if got := m.Attendees(nil, nil); len(got.List) != MaxAddresses || !got.Truncated {
		t.Errorf("%d attendees, truncated %v", len(got.List), got.Truncated)
	}
}

func itoa(i int) string {
	const d = "0123456789"
	if i < 10 {
		return d[i : i+1]
	}
	return itoa(i/10) + d[i%10:i%10+1]
}
