package googlesandbox

import (
	"fmt"
	"testing"
	"time"

	gcal "google.golang.org/api/calendar/v3"

	"github.com/convene/convene/internal/testenv"
)

// TestSyncCost5000 measures what a calendar of 5,000 events costs a
// client: the full sync (pages, time) at the sandbox's default page and at
// Google's largest, an incremental sync after 10 changes, and freeBusy of
// the calendar over a month. The figures are logged (go test -v -run
// SyncCost); the test asserts the counts.
func TestSyncCost5000(t *testing.T) {
	testenv.SkipShort(t, "5,000 events")
	sb := newSandbox(t, func(o *Options) { o.Discovery = nil }) // measure the sandbox, not the validator
	sb.srv.mu.Lock()
	cal := sb.srv.calendarOfLocked("alice@example.com")
	for i := range 5000 {
		start := monday.Add(time.Duration(i%(60*24)) * 30 * time.Minute)
		ev := &event{Summary: fmt.Sprintf("event %d", i), Start: &eventTime{DateTime: start.Format(time.RFC3339)},
			End:       &eventTime{DateTime: start.Add(25 * time.Minute).Format(time.RFC3339)},
			Attendees: []*attendee{{Email: "alice@example.com"}, {Email: fmt.Sprintf("guest%d@other.test", i)}}}
		if _, e := sb.srv.insertLocked(cal, ev, writeOpts{}); e != nil {
			t.Fatal(e)
		}
	}
	sb.srv.mu.Unlock()
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	for _, size := range []int64{250, 2500} {
		begin := time.Now()
		items, tok, pages := listAll(t, func(pt string) (*gcal.Events, error) {
			c := svc.Events.List("primary").PageToken(pt)
			if size > 0 {
				c = c.MaxResults(size)
			}
			return c.Do()
		})
		if len(items) != 5000 {
			t.Fatalf("full sync at %d: %d items", size, len(items))
		}
		t.Logf("full sync of 5,000 events, maxResults %d: %d calls, %v", size, pages, time.Since(begin).Round(time.Millisecond))
		if size == 2500 {
			for i := range 10 {
				if _, err := svc.Events.Patch("primary", items[i*400].Id, &gcal.Event{Summary: "changed"}).Do(); err != nil {
					t.Fatal(err)
				}
			}
			begin = time.Now()
			changes, _, calls := listAll(t, func(pt string) (*gcal.Events, error) {
				return svc.Events.List("primary").SyncToken(tok).PageToken(pt).Do()
			})
			if len(changes) != 10 {
				t.Fatalf("incremental: %d", len(changes))
			}
			t.Logf("incremental sync after 10 changes: %d call, %v", calls, time.Since(begin).Round(time.Millisecond))
		}
	}
	begin := time.Now()
	res, err := svc.Freebusy.Query(&gcal.FreeBusyRequest{TimeMin: monday.Format(time.RFC3339), TimeMax: monday.AddDate(0, 1, 0).Format(time.RFC3339),
		Items: []*gcal.FreeBusyRequestItem{{Id: "alice@example.com"}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("freeBusy over a month of 5,000 events: %d busy periods, %v", len(res.Calendars["alice@example.com"].Busy), time.Since(begin).Round(time.Millisecond))
}
