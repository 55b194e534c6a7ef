package availability

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want Clock
		err  string
	}{
		{"00:00", 0, ""},
		{"09:30", 9*60 + 30, ""},
		{"9:30", 9*60 + 30, ""},
		{"23:59", 23*60 + 59, ""},
		{"24:00", EndOfDay, ""},
		{"24:01", 0, "out of range"},
		{"25:00", 0, "out of range"},
		{"12:60", 0, "out of range"},
		{"12", 0, "want HH:MM"},
		{"12:5", 0, "want HH:MM"},
		{"123:00", 0, "want HH:MM"},
		{"-1:00", 0, "want HH:MM"},
		{"ab:cd", 0, "want HH:MM"},
		{"", 0, "want HH:MM"},
		{"09:00 ", 0, "want HH:MM"},
	}
	for _, tt := range tests {
		got, err := ParseClock(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalidHours) {
				t.Errorf("ParseClock(%q) = %v, %v; want error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseClock(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if tt.in[0] != '9' && got.String() != tt.in {
			t.Errorf("Clock(%d).String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}

func TestParseWorkingHours(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // MarshalJSON of the result
		err      string // part of the error message
	}{
		{"default empty", ``, `{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}`, ""},
		{"default null", `null`, `{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]}`, ""},
		{"design example", `{"mon": [["09:00","17:00"]], "tue": [["09:00","17:00"]]}`, `{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]]}`, ""},
		{"lunch break", `{"wed": [["09:00","12:00"], ["13:00","17:00"]]}`, `{"wed":[["09:00","12:00"],["13:00","17:00"]]}`, ""},
		{"sorted", `{"wed": [["13:00","17:00"], ["09:00","12:00"]]}`, `{"wed":[["09:00","12:00"],["13:00","17:00"]]}`, ""},
		{"touching", `{"wed": [["09:00","12:00"], ["12:00","17:00"]]}`, `{"wed":[["09:00","12:00"],["12:00","17:00"]]}`, ""},
		{"to midnight", `{"fri": [["22:00","24:00"]], "sat": [["00:00","02:00"]]}`, `{"fri":[["22:00","24:00"]],"sat":[["00:00","02:00"]]}`, ""},
		{"whole day", `{"sun": [["00:00","24:00"]]}`, `{"sun":[["00:00","24:00"]]}`, ""},
		{"any case, empty days", `{"MON": [["08:00","16:00"]], "Sat": [], "sun": null}`, `{"mon":[["08:00","16:00"]]}`, ""},
		{"one-digit hour", `{"mon": [["8:00","9:30"]]}`, `{"mon":[["08:00","09:30"]]}`, ""},

		{"bad clock", `{"mon": [["9h","17:00"]]}`, "", `mon: range 1 start: invalid working hours: clock "9h": want HH:MM`},
		{"bad minutes", `{"mon": [["09:00","17:75"]]}`, "", `mon: range 1 end: invalid working hours: clock "17:75": out of range`},
		{"end before start", `{"tue": [["17:00","09:00"]]}`, "", "tue: range 1: end 09:00 is not after start 17:00"},
		{"empty range", `{"tue": [["09:00","09:00"]]}`, "", "end 09:00 is not after start 09:00"},
		{"overlap", `{"thu": [["09:00","13:00"], ["12:00","17:00"]]}`, "", "thu: invalid working hours: ranges 09:00-13:00 and 12:00-17:00 overlap"},
		{"24:00 start", `{"thu": [["24:00","24:00"]]}`, "", "24:00 is allowed only as an end"},
		{"past 24:00", `{"thu": [["22:00","24:30"]]}`, "", "out of range"},
		{"unknown day", `{"monday": [["09:00","17:00"]]}`, "", `unknown day "monday"`},
		{"repeated day", `{"mon": [["09:00","12:00"]], "mon": [["13:00","17:00"]]}`, "", `day "mon" given twice`},
		{"no working time", `{"mon": [], "tue": null}`, "", "no working time on any day"},
		{"empty object", `{}`, "", "no working time on any day"},
		{"three values", `{"mon": [["09:00","12:00","13:00"]]}`, "", "want [start, end], got 3 values"},
		{"one value", `{"mon": [["09:00"]]}`, "", "want [start, end], got 1 values"},
		{"not a list", `{"mon": "09:00-17:00"}`, "", "mon: want a list of"},
		{"number", `{"mon": [[9, 17]]}`, "", "mon: want a list of"},
		{"not an object", `[["09:00","17:00"]]`, "", "want a JSON object"},
		{"trailing data", `{"mon": [["09:00","17:00"]]} {}`, "", "data after the JSON object"},
		{"truncated", `{"mon": [["09:00","17:00"]]`, "", "invalid working hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWorkingHours([]byte(tt.in))
			if tt.err != "" {
				if err == nil {
					t.Fatalf("no error, got %+v", w)
				}
				if !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalidHours) {
					t.Fatalf("error %q, want one containing %q and wrapping ErrInvalidHours", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestWorkingHoursInStruct checks the JSON methods as a field of a request
// body, the way the HTTP handler and store will use them.
func TestWorkingHoursInStruct(t *testing.T) {
	var body struct {
		Timezone     string       `json:"timezone"`
		WorkingHours WorkingHours `json:"working_hours"`
	}
	if err := json.Unmarshal([]byte(`{"timezone":"Asia/Kolkata","working_hours":{"mon":[["10:00","18:00"]]}}`), &body); err != nil {
		t.Fatal(err)
	}
	if got := body.WorkingHours.Days[time.Monday]; len(got) != 1 || got[0] != (ClockRange{600, 1080}) {
		t.Fatalf("monday = %v", got)
	}
	if err := json.Unmarshal([]byte(`{"working_hours":{"mon":[["18:00","10:00"]]}}`), &body); !errors.Is(err, ErrInvalidHours) {
		t.Fatalf("want ErrInvalidHours, got %v", err)
	}
	body.WorkingHours = WorkingHours{}
	if err := json.Unmarshal([]byte(`{"working_hours":null}`), &body); err != nil || !body.WorkingHours.IsZero() {
		t.Fatalf("null: %v %+v", err, body.WorkingHours)
	}
	var bad WorkingHours
	bad.Days[time.Monday] = []ClockRange{{600, 500}}
	if _, err := json.Marshal(bad); !errors.Is(err, ErrInvalidHours) {
		t.Fatalf("marshal of invalid hours: %v", err)
	}
}

func TestParseOverrides(t *testing.T) {
	got, err := ParseOverrides([]byte(`{"2026-12-25": [], "2026-12-24": [["09:00","12:00"]]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Date != (Date{2026, 12, 24}) || len(got[0].Ranges) != 1 || got[1].Date.String() != "2026-12-25" || len(got[1].Ranges) != 0 {
		t.Fatalf("got %+v", got)
	}
	out, err := FormatOverrides(got)
	if err != nil || string(out) != `{"2026-12-24":[["09:00","12:00"]],"2026-12-25":[]}` {
		t.Fatalf("format: %s %v", out, err)
	}
	for in, want := range map[string]string{
		`{"2026-02-30": []}`:                   `date "2026-02-30": want YYYY-MM-DD`,
		`{"mon": []}`:                          `date "mon"`,
		`{"2026-12-24": [], "2026-12-24": []}`: "date 2026-12-24 given twice",
		`{"2026-12-24": [["12:00","09:00"]]}`:  "end 09:00 is not after start 12:00",
	} {
		if _, err := ParseOverrides([]byte(in)); err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrInvalidHours) {
			t.Errorf("ParseOverrides(%s) error %v, want %q", in, err, want)
		}
	}
	if got, err := ParseOverrides(nil); err != nil || got != nil {
		t.Errorf("empty: %v %v", got, err)
	}
}
