package winzones

import (
	"testing"
	"time"
)

// TestTable: CLDR's table maps Windows names to IANA zones Go knows, and
// back; letter case is forgiven; current IANA names CLDR lists under older
// ones are found.
func TestTable(t *testing.T) {
	if CLDRVersion != "48" {
		t.Errorf("CLDR version %q: update the doc comment of windowsZonesJSON", CLDRVersion)
	}
	if len(toIANA) < 130 {
		t.Fatalf("%d Windows names: the table did not load", len(toIANA))
	}
	for win, iana := range toIANA {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("%s → %s: %v", win, iana, err)
		}
	}
	for _, c := range []struct{ win, iana string }{
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"w. europe standard time", "Europe/Berlin"},
		{"FLE Standard Time", "Europe/Kiev"},
		{"UTC", "Etc/UTC"},
	} {
		if got, ok := IANA(c.win); !ok || got != c.iana {
			t.Errorf("IANA(%q) = %q %v, want %q", c.win, got, ok, c.iana)
		}
	}
	if _, ok := IANA("Mars Standard Time"); ok {
		t.Error("an unknown name was mapped")
	}
	for iana, win := range map[string]string{"Europe/Paris": "Romance Standard Time", "Asia/Kolkata": "India Standard Time",
		"Europe/Kyiv": "FLE Standard Time", "Etc/UTC": "UTC"} {
		if got, ok := Windows(iana); !ok || got != win {
			t.Errorf("Windows(%q) = %q %v, want %q", iana, got, ok, win)
		}
	}
	if _, ok := Windows("Mars/Olympus"); ok {
		t.Error("an unknown IANA zone was mapped")
	}
}
