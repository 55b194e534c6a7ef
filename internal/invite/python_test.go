package invite

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// pyResult is what testdata/icscheck.py understood of one file.
type pyResult struct {
	Errors    []string  `json:"errors"`
	Method    string    `json:"method"`
	Version   string    `json:"version"`
	ProdID    string    `json:"prodid"`
	Timezones []string  `json:"timezones"`
	Events    []pyEvent `json:"events"`
}

type pyEvent struct {
	UID         string `json:"uid"`
	Sequence    int    `json:"sequence"`
	Status      string `json:"status"`
	Summary     string `json:"summary"`
	Description string `json:"description"`
	Location    string `json:"location"`
	DTStamp     string `json:"dtstamp"`
	Organizer   string `json:"organizer"`
	RRule       string `json:"rrule"`
	Last        string `json:"last"`
	Range       string `json:"range"`
	Attendees   []struct {
		Address, CN, PartStat, RSVP, Role string
	} `json:"attendees"`
	Times map[string][]pyTime `json:"times"`
}

// pyTime is one date-time resolved three ways.
type pyTime struct {
	IANA      string `json:"iana"`
	VTimezone string `json:"vtimezone"`
	Dateutil  string `json:"dateutil"`
}

// instants returns the instants of property name, failing the test when
// the three resolutions disagree.
func (e pyEvent) instants(t *testing.T, file, name string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, v := range e.Times[name] {
		if v.IANA != v.VTimezone || v.IANA != v.Dateutil {
			t.Errorf("%s %s %s: pytz by name %s, icalendar from VTIMEZONE %s, dateutil from VTIMEZONE %s",
				file, e.UID, name, v.IANA, v.VTimezone, v.Dateutil)
		}
		ts, err := time.Parse(time.RFC3339, v.VTimezone)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		out = append(out, ts)
	}
	return out
}

// pyCheck writes files into a temporary directory and reads them all with
// one python3-icalendar process; it returns the results by name and fails
// the test on every error the script reports.
func pyCheck(t *testing.T, files map[string][]byte) map[string]pyResult {
	t.Helper()
	py := testenv.Python(t, "icalendar", "dateutil", "pytz")
	dir := t.TempDir()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	args := []string{filepath.Join("testdata", "icscheck.py")}
	for _, name := range names {
		p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".ics")
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	cmd := exec.Command(py, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("icscheck.py: %v\n%s", err, stderr.String())
	}
	var raw map[string]pyResult
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatalf("icscheck.py output: %v\n%s", err, out)
	}
	res := map[string]pyResult{}
	for _, name := range names {
		r, ok := raw[filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".ics")]
		if !ok {
			t.Fatalf("icscheck.py said nothing about %s", name)
		}
		for _, e := range r.Errors {
			t.Errorf("python3-icalendar on %s: %s", name, e)
		}
		res[name] = r
	}
	return res
}

func fmtTimes(ts []time.Time) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = t.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(s)
}
