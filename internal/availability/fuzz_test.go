package availability

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzParseWorkingHours feeds arbitrary bytes to the working-hours parser:
// it must never panic, every error must wrap ErrInvalidHours, and anything
// it accepts must validate and survive a write and re-read unchanged.
// The seed corpus is in testdata/fuzz/FuzzParseWorkingHours.
func FuzzParseWorkingHours(f *testing.F) {
	for _, s := range []string{
		`{"mon": [["09:00","17:00"]]}`,
		`{"mon": [["09:00","12:00"],["13:00","17:00"]], "sat": []}`,
		`{"fri": [["22:00","24:00"]], "sat": [["00:00","02:00"]]}`,
		`{"tue": [["17:00","09:00"]]}`,
		`{"thu": [["09:00","13:00"], ["12:00","17:00"]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWorkingHours(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidHours) {
				t.Fatalf("error does not wrap ErrInvalidHours: %v", err)
			}
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("accepted invalid hours %+v: %v", w, err)
		}
		out, err := json.Marshal(w)
		if err != nil {
			t.Fatalf("marshal accepted hours: %v", err)
		}
		again, err := ParseWorkingHours(out)
		if err != nil {
			t.Fatalf("re-read %s: %v", out, err)
		}
		if !reflect.DeepEqual(normalize(w), normalize(again)) {
			t.Fatalf("round trip changed %s: %+v != %+v", out, w, again)
		}
	})
}

// FuzzParseOverrides does the same for date overrides.
func FuzzParseOverrides(f *testing.F) {
	f.Add([]byte(`{"2026-12-24": [["09:00","12:00"]], "2026-12-25": []}`))
	f.Add([]byte(`{"2026-02-30": []}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		os, err := ParseOverrides(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidHours) {
				t.Fatalf("error does not wrap ErrInvalidHours: %v", err)
			}
			return
		}
		out, err := FormatOverrides(os)
		if err != nil {
			t.Fatalf("format accepted overrides: %v", err)
		}
		again, err := ParseOverrides(out)
		if err != nil || len(again) != len(os) {
			t.Fatalf("re-read %s: %v", out, err)
		}
	})
}

// normalize makes empty days nil, so that [] and null compare equal.
func normalize(w WorkingHours) WorkingHours {
	for d := range w.Days {
		if len(w.Days[d]) == 0 {
			w.Days[d] = nil
		}
	}
	return w
}
