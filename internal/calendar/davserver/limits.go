package davserver

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
)

// ReportLimits bound the work and the answer of one REPORT. A REPORT over
// a limit is refused before any of its answer is written, with 403 and the
// DAV:number-of-matches-within-limits postcondition that RFC 4791 names
// for calendar-query (§7.8) and free-busy-query (§7.10): a client learns
// that the request, not the server, is at fault, and narrows its time
// range. (A 207 whose last response says 507, as RFC 6578 §3.6 does for a
// truncated sync, would leave expanded answers silently partial.)
type ReportLimits struct {
	// MaxInstances bounds the recurrence instances one REPORT expands
	// over all its objects: CALDAV:expand (RFC 4791 §9.6.5) and
	// free-busy-query. Default DefaultMaxInstances.
	MaxInstances int
	// MaxInstancesPerObject bounds the instances one object may expand
	// to in one REPORT. Default DefaultMaxInstancesPerObject.
	MaxInstancesPerObject int
	// MaxExpandedBytes bounds the calendar data one REPORT generates by
	// expansion (the stored octets that go out unexpanded are bounded by
	// the per-user quota instead). Default DefaultMaxExpandedBytes.
	MaxExpandedBytes int64
}

// Defaults of ReportLimits: a daily event over a year is 365 instances, a
// busy calendar's month a few hundred; an event every second over a day
// (86,400) is refused.
const (
	DefaultMaxInstances          = 20_000
	DefaultMaxInstancesPerObject = 5_000
	DefaultMaxExpandedBytes      = 16 << 20
)

func (l *ReportLimits) defaults() {
	if l.MaxInstances <= 0 {
		l.MaxInstances = DefaultMaxInstances
	}
	if l.MaxInstancesPerObject <= 0 {
		l.MaxInstancesPerObject = DefaultMaxInstancesPerObject
	}
	if l.MaxExpandedBytes <= 0 {
		l.MaxExpandedBytes = DefaultMaxExpandedBytes
	}
}

// overLimit is a REPORT refused for a limit of ReportLimits.
type overLimit struct{ msg string }

func (e *overLimit) Error() string { return e.msg }

// budget is what one REPORT may still spend. Every expansion of a REPORT
// goes through it, so that the instance count here can later give way to
// internal/recur's own per-request budget without touching the callers.
type budget struct {
	ctx       context.Context
	lim       ReportLimits
	instances int   // left
	bytes     int64 // left, of generated calendar data
}

func newBudget(ctx context.Context, lim ReportLimits) *budget {
	lim.defaults()
	return &budget{ctx: ctx, lim: lim, instances: lim.MaxInstances, bytes: lim.MaxExpandedBytes}
}

// expand returns the instances of cal in [from, to), counted against the
// budget; an object or a REPORT over its limit is an *overLimit. With
// clip, an object over the per-object limit is not an error: the
// instances within it come back with capped set (free-busy counts the
// rest of the range busy).
func (b *budget) expand(cal *ical.Calendar, uid string, from, to time.Time, opts recur.Options, clip bool) (insts []recur.Instance, capped bool, err error) {
	if err := b.ctx.Err(); err != nil {
		return nil, false, err
	}
	limit := min(b.lim.MaxInstancesPerObject, b.instances)
	// One more than the limit tells "at the limit" from "over it".
	opts.MaxInstances = limit + 1
	insts, err = recur.ExpandCalendar(cal, from, to, opts)
	if err != nil && !errors.Is(err, recur.ErrCapped) {
		return nil, false, err
	}
	if len(insts) > limit {
		switch {
		case b.instances < b.lim.MaxInstancesPerObject:
			return nil, false, &overLimit{fmt.Sprintf("the REPORT would expand more than %d recurrence instances; ask for a narrower time range", b.lim.MaxInstances)}
		case !clip:
			return nil, false, &overLimit{fmt.Sprintf("event %q has more than %d instances in the time range; ask for a narrower one", uid, b.lim.MaxInstancesPerObject)}
		}
		insts, capped = insts[:limit], true
	}
	b.instances -= len(insts)
	return insts, capped, nil
}

// overlaps reports whether cal has an instance in [from, to) (RFC 4791
// §9.9): one instance is enough, and is not counted.
func (b *budget) overlaps(cal *ical.Calendar, from, to time.Time, opts recur.Options) (bool, error) {
	if err := b.ctx.Err(); err != nil {
		return false, err
	}
	opts.MaxInstances = 1
	insts, err := recur.ExpandCalendar(cal, from, to, opts)
	if err != nil && !errors.Is(err, recur.ErrCapped) {
		return false, err
	}
	return len(insts) > 0, nil
}

// spend counts n bytes of generated calendar data.
func (b *budget) spend(n int64) error {
	b.bytes -= n
	if b.bytes < 0 {
		return &overLimit{fmt.Sprintf("the REPORT's expanded calendar data would be over %d MiB; ask for a narrower time range", b.lim.MaxExpandedBytes>>20)}
	}
	return nil
}

// counter is an io.Writer that counts, and fails once past max: it
// measures an answer without keeping it.
type counter struct {
	n, max int64
}

var errCounterFull = errors.New("over the limit")

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	if c.n > c.max {
		return 0, errCounterFull
	}
	return len(p), nil
}

var _ io.Writer = (*counter)(nil)

// Bounds of XML request bodies (PROPFIND, PROPPATCH, REPORT, and any other
// method go-webdav would decode): a multiget of a few thousand hrefs fits,
// and the deepest CalDAV filter (comp-filter in comp-filter in
// comp-filter, prop-filter, param-filter, text-match) is under ten levels.
const (
	maxRequestBody = 4 << 20
	maxXMLDepth    = 64
)

// errTooDeep: an XML body nests deeper than maxXMLDepth.
var errTooDeep = fmt.Errorf("the XML nests deeper than %d elements", maxXMLDepth)

// checkXML reads an XML body through once, bounding its nesting: a body
// nested ten thousand levels deep would otherwise reach encoding/xml's own
// limit, an error that is neither a syntax error nor the client's in the
// callers' eyes. An empty body is fine (PROPFIND's allprop).
func checkXML(body []byte) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return errTooDeep
			}
		case xml.EndElement:
			depth--
		}
	}
}

// readXMLBody reads the XML body of a request of method, bounded in size
// (413) and nesting (400); it answers the client itself when it returns
// false.
func readXMLBody(w http.ResponseWriter, r *http.Request, method string) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		http.Error(w, "the "+method+" body cannot be read", http.StatusBadRequest)
		return nil, false
	}
	if len(body) > maxRequestBody {
		http.Error(w, fmt.Sprintf("the %s body is over %d MiB", method, maxRequestBody>>20), http.StatusRequestEntityTooLarge)
		return nil, false
	}
	if err := checkXML(body); err != nil {
		http.Error(w, "the "+method+" body is not acceptable XML: "+err.Error(), http.StatusBadRequest)
		return nil, false
	}
	return body, true
}
