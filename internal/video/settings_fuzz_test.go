package video

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// decodeTwice is how Settings were decoded before the one-pass path: the
// fields, then every key into a map for the others. The one-pass path must
// give the same settings and the same error or lack of one.
func decodeTwice(b []byte) (Settings, error) {
	var p settingsPlain
	if err := json.Unmarshal(b, &p); err != nil {
		return Settings{}, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return Settings{}, err
	}
	for k, v := range all {
		if known(k) {
			continue
		}
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return Settings{}, err
		}
		if p.Other == nil {
			p.Other = map[string]json.RawMessage{}
		}
		p.Other[k] = c.Bytes()
	}
	return Settings(p), nil
}

var settingsSeeds = []string{
	`{}`, `null`, `{"host_video":true}`, `{"HOST_VIDEO":false,"Audio":"voip"}`, `{"future":1}`,
	`{"host_video":true}{}`, `{"host_video":true} `, `{"host_video":"yes"}`, `{"approval_type":2,"x":{"y":[1,2]}}`,
	`{"global_dial_in_numbers":[{"city":"Paris","future":true}]}`, `[1]`, `{"host_video":true,"host_video":false}`,
}

func TestSettingsOnePassIsTwoPasses(t *testing.T) {
	for _, in := range settingsSeeds {
		checkSettingsDecode(t, []byte(in))
	}
}

func FuzzSettingsDecode(f *testing.F) {
	for _, in := range settingsSeeds {
		f.Add([]byte(in))
	}
	f.Fuzz(checkSettingsDecode)
}

func checkSettingsDecode(t *testing.T, b []byte) {
	want, wantErr := decodeTwice(b)
	var got Settings
	err := got.UnmarshalJSON(b)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%q: error %v, want %v", b, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: %+v, want %+v", b, got, want)
	}
}

func BenchmarkSettingsDecode(b *testing.B) {
	in := []byte(`{"host_video":false,"participant_video":false,"join_before_host":false,"jbh_time":0,"mute_upon_entry":true,
		"watermark":false,"use_pmi":false,"approval_type":2,"audio":"both","auto_recording":"none","waiting_room":true,
		"meeting_authentication":false,"global_dial_in_countries":["US"],"enforce_login":false}`)
	for b.Loop() {
		var s Settings
		if err := s.UnmarshalJSON(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSettingsDecodeTwice(b *testing.B) {
	in := []byte(`{"host_video":false,"participant_video":false,"join_before_host":false,"jbh_time":0,"mute_upon_entry":true,
		"watermark":false,"use_pmi":false,"approval_type":2,"audio":"both","auto_recording":"none","waiting_room":true,
		"meeting_authentication":false,"global_dial_in_countries":["US"],"enforce_login":false}`)
	for b.Loop() {
		if _, err := decodeTwice(in); err != nil {
			b.Fatal(err)
		}
	}
}
