package zoom

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/video"
)

// TestZoomDataUse: what the marketplace says Convene does at Zoom (the
// entry's data-use facts, which the admin pages show) is
// Zoom's own contract (its OpenAPI document): each API request exists with
// its method, each meeting field is one of the create request's, each
// setting is one GET /meetings/{meetingId} returns and one of
// video.Settings; the settings are the 16 of DESIGN.md §2 step 5.
func TestZoomDataUse(t *testing.T) {
	zoom := App(Config{})
	raw, err := os.ReadFile(testenv.ZoomSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct{ Schema schema } `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Content map[string]struct{ Schema schema } `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	params := strings.NewReplacer("{organizer}", "{userId}", "{id}", "{meetingId}", "/users/me", "/users/{userId}")
	for _, c := range zoom.DataUse.Calls {
		if strings.HasPrefix(c.Path, "/oauth/") {
			continue // Zoom's OAuth endpoints, outside the API document
		}
		p := params.Replace(strings.TrimPrefix(c.Path, "/v2"))
		if _, ok := spec.Paths[p][strings.ToLower(c.Method)]; !ok {
			t.Errorf("%s %s (%s) is not in Zoom's API", c.Method, c.Path, p)
		}
	}
	create := spec.Paths["/users/{userId}/meetings"]["post"].RequestBody.Content["application/json"].Schema.Properties
	for _, f := range zoom.DataUse.MeetingFields {
		if _, ok := create[f]; !ok {
			t.Errorf("meeting field %s is not in Zoom's create request", f)
		}
	}
	var got schema
	json.Unmarshal(spec.Paths["/meetings/{meetingId}"]["get"].Responses["200"].Content["application/json"].Schema.Properties["settings"], &got)
	tags := map[string]bool{}
	st := reflect.TypeOf(video.Settings{})
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		tags[name] = true
	}
	for _, s := range zoom.DataUse.Settings {
		if _, ok := got.Properties[s]; !ok || !tags[s] {
			t.Errorf("setting %s: in Zoom's answer %v, in video.Settings %v", s, ok, tags[s])
		}
	}
	design := []string{"host_video", "participant_video", "cn_meeting", "in_meeting", "join_before_host", "mute_upon_entry", "watermark",
		"use_pmi", "approval_type", "audio", "auto_recording", "enforce_login", "enforce_login_domains", "alternative_hosts",
		"close_registration", "registrants_confirmation_email"}
	if !slices.Equal(zoom.DataUse.Settings, design) {
		t.Errorf("settings %v, DESIGN.md's %v", zoom.DataUse.Settings, design)
	}
	// What Convene keeps: the tokens sealed, the start link for the host.
	kept := map[string]string{}
	for _, k := range zoom.DataUse.Kept {
		kept[k.Item] = k.Protection
	}
	if kept["tokens"] != video.KeptSealed || kept["start_url"] != video.KeptHost || kept["join_url"] != video.KeptPlain {
		t.Errorf("kept: %v", kept)
	}
}
