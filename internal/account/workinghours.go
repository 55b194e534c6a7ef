package account

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// WorkingHours is the JSON shape of DESIGN.md §4,
// {"mon": [["09:00","17:00"]], "tue": …}, checked when decoded: known days,
// HH:MM clock times (24:00 allowed as an end), each range ending after it
// starts, ranges of a day not overlapping.
type WorkingHours struct {
	raw []byte
}

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// UnmarshalJSON implements json.Unmarshaler with the checks above.
func (w *WorkingHours) UnmarshalJSON(b []byte) error {
	var days map[string][][]string
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&days); err != nil {
		return fmt.Errorf(`working_hours: want {"mon": [["09:00","17:00"]], …}: %v`, err)
	}
	for day, ranges := range days {
		if !contains(weekdays, day) {
			return fmt.Errorf("working_hours: unknown day %q (use %s)", day, strings.Join(weekdays, ", "))
		}
		type span struct{ from, to int }
		var spans []span
		for _, r := range ranges {
			if len(r) != 2 {
				return fmt.Errorf("working_hours.%s: each range is [\"HH:MM\", \"HH:MM\"]", day)
			}
			from, err := clock(r[0], false)
			if err != nil {
				return fmt.Errorf("working_hours.%s: %v", day, err)
			}
			to, err := clock(r[1], true)
			if err != nil {
				return fmt.Errorf("working_hours.%s: %v", day, err)
			}
			if to <= from {
				return fmt.Errorf("working_hours.%s: %s-%s ends before it starts", day, r[0], r[1])
			}
			spans = append(spans, span{from, to})
		}
		sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
		for i := 1; i < len(spans); i++ {
			if spans[i].from < spans[i-1].to {
				return fmt.Errorf("working_hours.%s: ranges overlap", day)
			}
		}
	}
	norm, err := json.Marshal(days)
	if err != nil {
		return err
	}
	w.raw = norm
	return nil
}

// MarshalJSON implements json.Marshaler.
func (w WorkingHours) MarshalJSON() ([]byte, error) { return w.JSON(), nil }

// JSON returns the stored form.
func (w WorkingHours) JSON() []byte {
	if w.raw == nil {
		return []byte("{}")
	}
	return w.raw
}

func clock(s string, end bool) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("%q is not a HH:MM time", s)
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil {
		return 0, fmt.Errorf("%q is not a HH:MM time", s)
	}
	if h == 24 && m == 0 && end {
		return 24 * 60, nil
	}
	if h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q is not a HH:MM time between 00:00 and 24:00", s)
	}
	return h*60 + m, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
