package msgraph

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// FuzzEventICS: any Graph event a delta answer may carry converts into an
// iCalendar object that decodes again, or is refused with an error; never
// a panic.
func FuzzEventICS(f *testing.F) {
	var items []json.RawMessage
	if err := json.Unmarshal([]byte(deltaEvents), &items); err != nil {
		f.Fatal(err)
	}
	for _, it := range items {
		f.Add([]byte(it))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev event
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		ics, err := eventICS(&ev, "ann@example.com", time.Unix(0, 0))
		if err != nil {
			return
		}
		if _, err := ical.NewDecoder(bytes.NewReader(ics)).Decode(); err != nil {
			t.Fatalf("%s gave an object that does not decode: %v\n%s", data, err, ics)
		}
	})
}
