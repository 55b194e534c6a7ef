package video

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestSettingsUnsetAndFalseDiffer(t *testing.T) {
	tests := []struct {
		name string
		in   Settings
		want string
	}{
		{"nothing set", Settings{}, `{}`},
		{"false is sent", Settings{JoinBeforeHost: Bool(false)}, `{"join_before_host":false}`},
		{"zero and empty are sent", Settings{JBHTime: Int(0), AlternativeHosts: String("")}, `{"alternative_hosts":"","jbh_time":0}`},
		{"other settings kept", Settings{WaitingRoom: Bool(true), Other: map[string]json.RawMessage{"new_thing": json.RawMessage(`{"a":1}`)}}, `{"new_thing":{"a":1},"waiting_room":true}`},
		{"other cannot shadow a field", Settings{WaitingRoom: Bool(true), Other: map[string]json.RawMessage{"Waiting_Room": json.RawMessage(`false`)}}, `{"waiting_room":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			// Settings without Other marshal in field order; compare as maps.
			var got, want map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("marshal = %s, want %s", b, tt.want)
			}
			if tt.in.IsZero() != (tt.want == `{}`) {
				t.Errorf("IsZero = %v", tt.in.IsZero())
			}
		})
	}
}

func TestSettingsDecode(t *testing.T) {
	// zoom-api.md §1.12, the settings of the plausible 201 body, plus a
	// setting this package does not know.
	in := `{"host_video":false,"participant_video":false,"join_before_host":false,"jbh_time":0,
   "mute_upon_entry":true,"watermark":false,"use_pmi":false,"approval_type":2,"audio":"both",
   "auto_recording":"none","waiting_room":true,"alternative_hosts":"a@example.com;b@example.com",
   "meeting_authentication":false,"global_dial_in_countries":["US"],
   "global_dial_in_numbers":[{"country":"US","country_name":"US","city":"New York","number":"+1 6465588656","type":"toll"}],
   "future_setting": { "x" : [1, 2] }}`
	var s Settings
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.HostVideo == nil || *s.HostVideo || s.CNMeeting != nil || *s.ApprovalType != NoRegistration || *s.Audio != "both" || *s.JBHTime != 0 {
		t.Errorf("decoded %+v", s)
	}
	if len(s.GlobalDialInNumbers) != 1 || s.GlobalDialInNumbers[0].City != "New York" {
		t.Errorf("dial-in numbers %+v", s.GlobalDialInNumbers)
	}
	if got := string(s.Other["future_setting"]); got != `{"x":[1,2]}` {
		t.Errorf("other = %q", got)
	}
	if _, ok := s.Other["host_video"]; ok {
		t.Error("known setting kept in Other")
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var again Settings
	if err := json.Unmarshal(b, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s, again) {
		t.Errorf("round trip:\n%+v\n%+v", s, again)
	}
}

func TestSettingsOverlay(t *testing.T) {
	host := Settings{WaitingRoom: Bool(true), MuteUponEntry: Bool(false), Audio: String("both")}
	account := Settings{MuteUponEntry: Bool(true), Other: map[string]json.RawMessage{"x": json.RawMessage(`1`)}}
	request := Settings{WaitingRoom: Bool(false)}
	got := host.Overlay(account).Overlay(request)
	if *got.WaitingRoom || !*got.MuteUponEntry || *got.Audio != "both" || string(got.Other["x"]) != "1" {
		t.Errorf("overlay = %+v", got)
	}
	if !*host.WaitingRoom {
		t.Error("overlay changed its receiver")
	}
}

func TestRecurrenceJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Recurrence
		out  string
	}{
		{`{"type":2,"repeat_interval":1,"weekly_days":"1,3","end_times":5}`,
			Recurrence{Type: Weekly, RepeatInterval: 1, WeeklyDays: []int{1, 3}, EndTimes: 5},
			`{"type":2,"repeat_interval":1,"weekly_days":"1,3","end_times":5}`},
		{`{"type":2,"weekly_days":4}`, Recurrence{Type: Weekly, WeeklyDays: []int{4}}, `{"type":2,"weekly_days":"4"}`},
		{`{"type":2,"weekly_days":[2,6]}`, Recurrence{Type: Weekly, WeeklyDays: []int{2, 6}}, `{"type":2,"weekly_days":"2,6"}`},
		{`{"type":3,"monthly_week":-1,"monthly_week_day":6,"end_date_time":"2030-12-31T23:00:00Z"}`,
			Recurrence{Type: Monthly, MonthlyWeek: -1, MonthlyWeekDay: 6, EndDateTime: time.Date(2030, 12, 31, 23, 0, 0, 0, time.UTC)},
			`{"type":3,"monthly_week":-1,"monthly_week_day":6,"end_date_time":"2030-12-31T23:00:00Z"}`},
		{`{"type":1,"repeat_interval":90,"end_date_time":"2030-12-31T23:00:00+01:00","weekly_days":""}`,
			Recurrence{Type: Daily, RepeatInterval: 90, EndDateTime: time.Date(2030, 12, 31, 22, 0, 0, 0, time.UTC)},
			`{"type":1,"repeat_interval":90,"end_date_time":"2030-12-31T22:00:00Z"}`},
	}
	for _, tt := range tests {
		var r Recurrence
		if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(r, tt.want) {
			t.Errorf("%s: decoded %+v, want %+v", tt.in, r, tt.want)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.out {
			t.Errorf("%s: encoded %s, want %s", tt.in, b, tt.out)
		}
	}
	for _, bad := range []string{`{"type":2,"weekly_days":"1,x"}`, `{"end_date_time":"tomorrow"}`, `{"weekly_days":{}}`} {
		var r Recurrence
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestWeekdays(t *testing.T) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		n := ZoomWeekday(d)
		if back, ok := Weekday(n); !ok || back != d {
			t.Errorf("%v -> %d -> %v %v", d, n, back, ok)
		}
	}
	if ZoomWeekday(time.Sunday) != 1 || ZoomWeekday(time.Saturday) != 7 {
		t.Error("Zoom numbers Sunday 1 … Saturday 7")
	}
	if _, ok := Weekday(0); ok {
		t.Error("0 is not a Zoom day")
	}
}

func TestParseTime(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want time.Time
	}{
		{"2022-03-25T07:29:29Z", nil, time.Date(2022, 3, 25, 7, 29, 29, 0, time.UTC)},
		{"2022-03-25T07:29:29.900Z", nil, time.Date(2022, 3, 25, 7, 29, 29, 0, time.UTC)},
		{"2030-03-31T10:00:00+02:00", nil, time.Date(2030, 3, 31, 8, 0, 0, 0, time.UTC)},
		// Wall time in the meeting's zone, either side of the 2030 spring-forward.
		{"2030-03-30T10:00:00", paris, time.Date(2030, 3, 30, 9, 0, 0, 0, time.UTC)},
		{"2030-03-31T10:00:00", paris, time.Date(2030, 3, 31, 8, 0, 0, 0, time.UTC)},
		{"2030-03-31T10:00", nil, time.Date(2030, 3, 31, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in, tt.loc)
		if err != nil || !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "0000-01-01T00:00:00+01:00", "2030-02-30T10:00:00Z"} {
		if got, err := ParseTime(bad, nil); err == nil {
			t.Errorf("ParseTime(%q) = %v, want error", bad, got)
		}
	}
	if got := FormatTime(time.Date(2030, 3, 31, 10, 0, 30, 5, paris)); got != "2030-03-31T08:00:30Z" {
		t.Errorf("FormatTime = %s", got)
	}
}

func TestErrors(t *testing.T) {
	retryAt := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		err       error
		is        []error
		permanent bool
	}{
		{"host", &Error{Status: 404, Code: 1001, Permanent: true, Err: ErrHostNotFound}, []error{ErrHostNotFound}, true},
		{"scope", &Error{Status: 400, Code: 4711, Permanent: true, Err: ErrMissingScope}, []error{ErrMissingScope, ErrUnauthorized}, true},
		{"rate", &Error{Status: 429, Err: &RateLimitError{RetryAt: retryAt, Daily: true}}, []error{ErrRateLimited}, false},
		{"unavailable", &Error{Status: 503, Uncertain: true, Err: ErrUnavailable}, []error{ErrUnavailable}, false},
		{"validation", &ValidationError{Field: "topic", Message: "too long"}, nil, true},
		{"bare sentinel", fmt.Errorf("x: %w", ErrNotFound), []error{ErrNotFound}, true},
		{"context", fmt.Errorf("zoom: get meeting 1: %w", context.Canceled), []error{context.Canceled}, false},
	}
	for _, tt := range tests {
		wrapped := fmt.Errorf("zoom: create meeting for a@b: %w", tt.err)
		for _, s := range tt.is {
			if !errors.Is(wrapped, s) {
				t.Errorf("%s: not %v", tt.name, s)
			}
		}
		if errors.Is(wrapped, ErrUnauthorized) && !slicesContains(tt.is, ErrUnauthorized) {
			t.Errorf("%s: unexpectedly ErrUnauthorized", tt.name)
		}
		if got := IsPermanent(wrapped); got != tt.permanent {
			t.Errorf("%s: IsPermanent = %v", tt.name, got)
		}
	}
	at, ok := RetryAt(fmt.Errorf("w: %w", &Error{Err: &RateLimitError{RetryAt: retryAt}}))
	if !ok || !at.Equal(retryAt) {
		t.Errorf("RetryAt = %v %v", at, ok)
	}
	e := &Error{Status: 404, Code: 3001, Message: "Meeting 1 is not found or has expired.", TrackingID: "v=2.0;rid=X", Err: ErrNotFound}
	if got, want := e.Error(), "HTTP 404, code 3001: Meeting 1 is not found or has expired. (video meeting not found or expired) [tracking id v=2.0;rid=X]"; got != want {
		t.Errorf("Error() = %q\nwant %q", got, want)
	}
	v := &ValidationError{Fields: []FieldError{{"topic", "too long"}, {"password", "Invalid field."}}}
	if got := v.Error(); got != "invalid request: topic: too long; password: Invalid field." {
		t.Errorf("ValidationError = %q", got)
	}
}

func slicesContains(l []error, e error) bool {
	for _, x := range l {
		if x == e {
			return true
		}
	}
	return false
}
