package zoom

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

// FuzzDecodeMeeting feeds Zoom meeting JSON (create, get and list answers;
// the corpus is in testdata/fuzz/FuzzDecodeMeeting) to DecodeMeeting. It
// must never panic, and what it decodes must survive EncodeMeeting and a
// second decoding unchanged.
func FuzzDecodeMeeting(f *testing.F) {
	f.Add([]byte(created201))
	f.Add([]byte(`{"id":97763643886,"uuid":"aDYlohsHRtCd4ii1uC2+hA==","host_id":"30R7kT7bTIKSNUFEuH_Qlg","host_email":"jchill@example.com","status":"waiting","type":2,"start_time":"2022-03-25T07:29:29Z","duration":60,"timezone":"America/Los_Angeles","password":"123456","h323_password":"123456","encrypted_password":"8pEkRweVXPV3Ob2KJYgFTRlDtl1gSn.1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := DecodeMeeting(b)
		if err != nil {
			return
		}
		b2, err := EncodeMeeting(m1)
		if err != nil {
			t.Fatalf("encode %+v: %v", m1, err)
		}
		m2, err := DecodeMeeting(b2)
		if err != nil {
			t.Fatalf("decode of our own encoding %s: %v", b2, err)
		}
		if !reflect.DeepEqual(normalized(m1), normalized(m2)) {
			t.Fatalf("round trip changed the meeting:\n%+v\n%+v\nvia %s", m1, m2, b2)
		}
		b3, err := EncodeMeeting(m2)
		if err != nil || !bytes.Equal(b2, b3) {
			t.Fatalf("encoding is not stable:\n%s\n%s", b2, b3)
		}
	})
}

// normalized sets m's empty lists to nil, in place, and returns it: Zoom's
// JSON does not tell an empty list from an absent one.
func normalized(m *video.Meeting) *video.Meeting {
	var zeroEmpty func(v reflect.Value)
	zeroEmpty = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				zeroEmpty(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					zeroEmpty(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Map:
			if v.Len() == 0 {
				v.SetZero()
				return
			}
			if v.Kind() == reflect.Slice {
				for i := range v.Len() {
					zeroEmpty(v.Index(i))
				}
			}
		}
	}
	zeroEmpty(reflect.ValueOf(m).Elem())
	return m
}

// TestFuzzCorpus checks that the seed corpus is there: go test runs every
// file of it through FuzzDecodeMeeting.
func TestFuzzCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/fuzz/FuzzDecodeMeeting/*")
	if err != nil || len(files) < 5 {
		t.Fatalf("corpus: %v %d files", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		line, ok := bytes.CutPrefix(b, []byte("go test fuzz v1\n[]byte("))
		if !ok {
			t.Errorf("%s: not a corpus file", f)
			continue
		}
		data, err := strconv.Unquote(string(bytes.TrimSuffix(bytes.TrimSpace(line), []byte(")"))))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// Seeds named not-… are meant to be refused; the others are
		// Zoom's answers and must decode.
		_, err = DecodeMeeting([]byte(data))
		if refused := strings.HasPrefix(filepath.Base(f), "not-"); (err != nil) != refused {
			t.Errorf("%s: decode error %v", f, err)
		}
	}
}

// FuzzReceive feeds webhook bodies (the corpus is in
// testdata/fuzz/FuzzReceive), signed with the app's secret, to Receive. It
// must never panic; it either refuses the body as malformed or decodes it
// into exactly one of a reply, events or an ignored event, each event
// Zoom's and well formed. With a signature of another secret, it refuses
// the body as unauthenticated.
func FuzzReceive(f *testing.F) {
	for _, b := range []string{
		`{"event":"meeting.deleted","event_ts":1764417600000,"payload":{"account_id":"acc","object":{"id":85746065432,"occurrences":[{"occurrence_id":"1648194360000"}]}}}`,
		`{"event":"meeting.updated","event_ts":1,"payload":{"account_id":"acc","object":{"id":"1"}}}`,
		`{"event":"app_deauthorized","payload":{"account_id":"acc","deauthorization_time":"2026-11-29T11:59:00Z"}}`,
		`{"event":"endpoint.url_validation","payload":{"plainToken":"x"}}`,
		`{"event":"meeting.created","payload":{}}`,
	} {
		f.Add([]byte(b))
	}
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := Receive("s3cret", signed("forged", body, now), body, now); !unauthenticated(err) {
			t.Fatalf("a forged delivery: %v", err)
		}
		d, err := Receive("s3cret", signed("s3cret", body, now), body, now)
		if err != nil {
			if we, ok := errors.AsType[*video.WebhookError](err); !ok || we.Unauthenticated || we.Detail == "" {
				t.Fatalf("a signed delivery refused with %#v", err)
			}
			return
		}
		n := 0
		if d.Reply != nil {
			n++
		}
		if len(d.Events) > 0 {
			n++
		}
		if d.Ignored != "" {
			n++
		}
		if n != 1 {
			t.Fatalf("%s: %+v is not one reply, events or ignored event", body, d)
		}
		for _, ev := range d.Events {
			switch ev.Kind {
			case video.EventUpdated, video.EventDeleted:
				if ev.MeetingID == "" {
					t.Fatalf("%s: an event without its meeting: %+v", body, ev)
				}
			case video.EventDeauthorized:
			default:
				t.Fatalf("%s: kind %q", body, ev.Kind)
			}
			if ev.App != ID || ev.Name == "" {
				t.Fatalf("%s: %+v", body, ev)
			}
		}
	})
}

func unauthenticated(err error) bool {
	we, ok := errors.AsType[*video.WebhookError](err)
	return ok && we.Unauthenticated
}
