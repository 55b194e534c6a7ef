package recur

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Options tune ExpandCalendar.
type Options struct {
	// Floating is the location of floating date-times and of all-day
	// dates: the attendee's own zone (RFC 5545 §3.3.5: floating times are
	// "the same hour, minute, and second value regardless of which time
	// zone is currently being observed"). Nil means time.UTC.
	Floating *time.Location
	// MaxInstances caps the instances returned; 0 means 100,000.
	MaxInstances int
	// MaxIterations caps the work spent on each rule (periods and
	// candidate days looked at); 0 means 1,000,000.
	MaxIterations int
	// KeepCancelled keeps instances whose status is CANCELLED (a
	// cancelled event, or an override that cancels one instance). By
	// default they are left out: they are not busy time.
	KeepCancelled bool
	// Budget, when not nil, is the request's budget, shared by all its
	// expansions: every instance ExpandCalendar holds and every step of
	// its rules is charged to it, and when it runs out (or its context
	// ends) the expansion stops with an error wrapping ErrBudget (or the
	// context's error).
	Budget *Budget
}

// DefaultMaxInstances is the instance cap of ExpandCalendar when
// Options.MaxInstances is 0.
const DefaultMaxInstances = 100_000

// Instance is one occurrence of an event.
type Instance struct {
	UID string
	// RecurrenceID is the original start of the instance, the value a
	// RECURRENCE-ID (RFC 5545 §3.8.4.4) names it by; for an instance that
	// was moved, Start differs from it.
	RecurrenceID time.Time
	// Start and End are in the event's own location: the zone of its
	// TZID, time.UTC, or Options.Floating for floating and all-day
	// events. End is exclusive.
	Start, End time.Time
	// AllDay reports an event whose DTSTART is a DATE.
	AllDay bool
	// Floating reports an event whose DTSTART has neither zone nor "Z"
	// (all-day events are floating too).
	Floating bool
	Summary  string
	// Status is the STATUS property, upper case: TENTATIVE, CONFIRMED,
	// CANCELLED, or empty.
	Status string
	// Transparent reports TRANSP:TRANSPARENT (RFC 5545 §3.8.2.7): the
	// event does not make its attendee busy.
	Transparent bool
	// Component is the VEVENT that describes the instance: the override
	// when there is one, else the recurring event.
	Component *ical.Component
}

// CapError reports an expansion that stopped at a cap (Options.MaxInstances
// or Options.MaxIterations) rather than at the end of the window: every
// instance that starts before Complete is in the result, later ones may be
// missing. It wraps ErrCapped.
type CapError struct {
	// UID is the event whose rule was capped; empty for the cap on the
	// instances of the whole calendar.
	UID string
	// Complete is the instant up to which the result is complete.
	Complete time.Time
	// Reason says which cap stopped the expansion.
	Reason string
}

func (e *CapError) Error() string {
	if e.UID == "" {
		return fmt.Sprintf("%v: %s", ErrCapped, e.Reason)
	}
	return fmt.Sprintf("recur: event %q: %s: %v", e.UID, e.Reason, ErrCapped)
}

// Unwrap returns ErrCapped.
func (e *CapError) Unwrap() error { return ErrCapped }

// CompleteUntil returns, for an error of ExpandCalendar, the instant up to
// which its result is complete: the earliest Complete of the *CapError it
// holds. ok is false when no cap stopped the expansion.
func CompleteUntil(err error) (t time.Time, ok bool) {
	var walk func(error)
	walk = func(err error) {
		switch e := err.(type) {
		case nil:
		case *CapError:
			if !ok || e.Complete.Before(t) {
				t, ok = e.Complete, true
			}
		case interface{ Unwrap() []error }:
			for _, x := range e.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	walk(err)
	return t, ok
}

// ComponentError reports an event that ExpandCalendar skipped because it
// could not read it; the other events are expanded all the same.
type ComponentError struct {
	UID string
	Err error
}

func (e *ComponentError) Error() string {
	return fmt.Sprintf("recur: event %q: %v", e.UID, e.Err)
}

func (e *ComponentError) Unwrap() error { return e.Err }

// ExpandCalendar returns the instances of the events (VEVENT) of cal that
// overlap [from, to), sorted by start (then UID). Recurring events are
// expanded from their RRULE, RDATE, EXDATE and DTSTART (RFC 5545
// §3.8.5.3); components with a RECURRENCE-ID replace the instance they name
// (RFC 5545 §3.8.4.4), and with RANGE=THISANDFUTURE every later one too.
//
// The error, when not nil, joins a *ComponentError for each event that
// could not be read and a *CapError (wrapping ErrCapped) when a cap stopped
// the expansion; the instances that could be computed are returned with it
// (CompleteUntil says up to when they are complete). When Options.Budget
// runs out or its context ends, the error also holds the budget's error
// (test it first: errors.Is(err, ErrBudget), or the context's error), and
// the instances returned are not a usable answer.
//
// Only instances near the window are ever materialized: rules jump to the
// window (Iterator.Seek), also with COUNT when each of their periods yields
// the same number of instances.
func ExpandCalendar(cal *ical.Calendar, from, to time.Time, opts Options) ([]Instance, error) {
	if cal == nil || cal.Component == nil {
		return nil, errors.New("recur: no calendar")
	}
	if opts.Floating == nil {
		opts.Floating = time.UTC
	}
	if opts.MaxInstances <= 0 {
		opts.MaxInstances = DefaultMaxInstances
	}
	x := expander{zones: NewZones(cal), from: from, to: to, cut: to, opts: opts}
	if err := opts.Budget.Err(); err != nil {
		return nil, err
	}
	type group struct {
		masters   []*ical.Component
		overrides []*ical.Component
	}
	groups := map[string]*group{}
	var order []string
	for i, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		uid, _ := c.Props.Text(ical.PropUID)
		key := uid
		if key == "" {
			// RFC 5545 requires a UID; without one, each event stands
			// alone.
			key = fmt.Sprintf("\x00%d", i)
		}
		g := groups[key]
		if g == nil {
			g = &group{}
			groups[key] = g
			order = append(order, key)
		}
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			g.overrides = append(g.overrides, c)
		} else {
			g.masters = append(g.masters, c)
		}
	}
	for _, key := range order {
		if x.stop != nil {
			break
		}
		g := groups[key]
		uid := key
		if strings.HasPrefix(key, "\x00") {
			uid = ""
		}
		x.expandGroup(uid, g.masters, g.overrides)
		if len(x.out) > 4*opts.MaxInstances {
			x.trim()
		}
	}
	x.settle()
	if x.stop != nil {
		return x.out, errors.Join(append(x.errs, x.stop)...)
	}
	if len(x.out) > opts.MaxInstances {
		x.trim()
	}
	sortInstances(x.out)
	if x.cut.Before(to) {
		x.errs = append(x.errs, &CapError{Complete: x.cut, Reason: fmt.Sprintf("more than %d instances in the window", opts.MaxInstances)})
	}
	return x.out, errors.Join(x.errs...)
}

// sortInstances sorts by start, UID and recurrence id. The order is total:
// no need for a stable sort, which costs twice as much on this large
// struct.
func sortInstances(out []Instance) {
	slices.SortFunc(out, func(a, b Instance) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(a.UID, b.UID); c != 0 {
			return c
		}
		return a.RecurrenceID.Compare(b.RecurrenceID)
	})
}

// trim keeps the earliest MaxInstances instances and moves the cut to the
// start of the first one dropped: later events are only expanded up to
// it, so that the instances held never grow past a few times the cap
// however many events the calendar has.
func (x *expander) trim() {
	sortInstances(x.out)
	if len(x.out) <= x.opts.MaxInstances {
		return
	}
	// Everything that starts before the first instance dropped is kept:
	// the result is complete up to it.
	n := x.opts.MaxInstances
	c := x.out[n].Start
	clear(x.out[n:])
	x.out = x.out[:n]
	if c.Before(x.cut) {
		x.cut = c
	}
}

// charge counts n instances held; every chargeBatch of them are charged to
// the budget, which may stop the expansion.
func (x *expander) charge(n int) bool {
	if x.opts.Budget == nil {
		return true
	}
	x.pending += n
	if x.pending >= chargeBatch {
		x.settle()
	}
	return x.stop == nil
}

// chargeBatch is how many instances the expansion holds before charging
// them to its budget.
const chargeBatch = 256

func (x *expander) settle() {
	if x.pending > 0 {
		if err := x.opts.Budget.spendInstances(x.pending); err != nil && x.stop == nil {
			x.stop = err
		}
		x.pending = 0
	}
}

type expander struct {
	zones    *Zones
	from, to time.Time
	// cut is where the instances kept stop: to, or earlier once more than
	// MaxInstances were found (see trim).
	cut     time.Time
	opts    Options
	out     []Instance
	errs    []error
	pending int   // instances not yet charged to the budget
	stop    error // the budget's error, which ends the expansion
}

// event is what an expansion needs to know of one VEVENT.
type event struct {
	comp    *ical.Component
	start   Value
	end     func(time.Time) time.Time // the end of an instance starting at t
	exact   bool                      // every instance lasts the same exact time
	summary string
	status  string
	transp  bool
	rid     Value // RECURRENCE-ID, for overrides
	hasRID  bool
	future  bool // RANGE=THISANDFUTURE
}

func (x *expander) parseEvent(c *ical.Component, floatLoc *time.Location) (*event, error) {
	ev := &event{comp: c}
	sp := c.Props.Get(ical.PropDateTimeStart)
	if rp := c.Props.Get(ical.PropRecurrenceID); rp != nil {
		v, err := x.zones.Value(rp, floatLoc)
		if err != nil {
			return nil, err
		}
		ev.rid, ev.hasRID = v, true
		ev.future = strings.EqualFold(rp.Params.Get(ical.ParamRange), "THISANDFUTURE")
	}
	if sp == nil {
		if !ev.hasRID {
			return nil, errors.New("no DTSTART")
		}
		// An override without DTSTART keeps the original start.
		ev.start = ev.rid
	} else {
		v, err := x.zones.Value(sp, floatLoc)
		if err != nil {
			return nil, err
		}
		ev.start = v
	}
	if s, err := c.Props.Text(ical.PropSummary); err == nil {
		ev.summary = s
	}
	if s, err := c.Props.Text(ical.PropStatus); err == nil {
		ev.status = strings.ToUpper(strings.TrimSpace(s))
	}
	if s, err := c.Props.Text(ical.PropTransparency); err == nil {
		ev.transp = strings.EqualFold(strings.TrimSpace(s), "TRANSPARENT")
	}
	switch ep, dp := c.Props.Get(ical.PropDateTimeEnd), c.Props.Get(ical.PropDuration); {
	case ep != nil:
		v, err := x.zones.Value(ep, floatLoc)
		if err != nil {
			return nil, err
		}
		if ev.start.Date && v.Date {
			// Dates: a whole number of days on the calendar.
			days := (civilOf(v.Time) - ev.start.civil()) / secondsPerDay
			ev.end = Duration{Days: int(max(days, 0))}.AddTo
			break
		}
		// RFC 5545 §3.8.5.3: with DTEND "the same exact duration will
		// apply to all the members of the generated recurrence set".
		d := max(v.Time.Sub(ev.start.Time), 0)
		ev.end = func(t time.Time) time.Time { return t.Add(d) }
		ev.exact = true
	case dp != nil:
		d, err := ParseDuration(strings.TrimSpace(dp.Value))
		if err != nil {
			return nil, fmt.Errorf("DURATION: %w", err)
		}
		if d.Days < 0 || d.Exact < 0 {
			return nil, fmt.Errorf("DURATION %s is negative", dp.Value)
		}
		// RFC 5545 §3.8.5.3: with DURATION "the same nominal duration
		// will apply", so P1D is 23 or 25 hours across a DST change.
		ev.end = d.AddTo
		ev.exact = d.Days == 0
	case ev.start.Date:
		// RFC 5545 §3.6.1: an all-day event without DTEND lasts the day.
		ev.end = Duration{Days: 1}.AddTo
	default:
		// RFC 5545 §3.6.1: a timed event without DTEND ends when it
		// starts.
		ev.end = func(t time.Time) time.Time { return t }
		ev.exact = true
	}
	return ev, nil
}

// instance builds the Instance of ev starting at start.
func (x *expander) instance(uid string, ev *event, rid, start, end time.Time) Instance {
	return Instance{
		UID: uid, RecurrenceID: rid, Start: start, End: end,
		AllDay: ev.start.Date, Floating: ev.start.Floating,
		Summary: ev.summary, Status: ev.status, Transparent: ev.transp, Component: ev.comp,
	}
}

// keep adds inst when it overlaps the window and is not cancelled.
func (x *expander) keep(inst Instance) {
	if inst.Status == "CANCELLED" && !x.opts.KeepCancelled {
		return
	}
	if !overlaps(inst.Start, inst.End, x.from, x.to) || !inst.Start.Before(x.cut) {
		return
	}
	x.out = append(x.out, inst)
}

// overlaps reports whether [s, e) meets [from, to); an instance with no
// duration meets the window when it starts in it.
func overlaps(s, e, from, to time.Time) bool {
	if !e.After(s) {
		return !s.Before(from) && s.Before(to)
	}
	return s.Before(to) && e.After(from)
}

func (x *expander) fail(uid string, err error) {
	x.errs = append(x.errs, &ComponentError{UID: uid, Err: err})
}

// expandGroup expands the events that share one UID: the recurring
// event(s) and the overrides of their instances.
func (x *expander) expandGroup(uid string, masters, overrides []*ical.Component) {
	// Values without TZID in the overrides of a zoned series
	// (RECURRENCE-ID:19970902T090000 next to DTSTART;TZID=...) are read in
	// the series' zone, as calendar programs mean them.
	ovLoc := x.opts.Floating
	for _, c := range masters {
		if sp := c.Props.Get(ical.PropDateTimeStart); sp != nil {
			if v, err := x.zones.Value(sp, x.opts.Floating); err == nil && !v.Floating {
				ovLoc = v.Time.Location()
			}
			break
		}
	}
	var ovs []*event
	for _, c := range overrides {
		ev, err := x.parseEvent(c, ovLoc)
		if err != nil {
			x.fail(uid, fmt.Errorf("RECURRENCE-ID component: %w", err))
			continue
		}
		ovs = append(ovs, ev)
	}
	// Later SEQUENCE wins when two overrides name the same instance.
	slices.SortStableFunc(ovs, func(a, b *event) int {
		return cmp.Compare(sequence(a.comp), sequence(b.comp))
	})
	exact := map[int64]*event{}
	var future []*event
	for _, ov := range ovs {
		key := ov.rid.Time.Unix()
		exact[key] = ov
		if ov.future {
			future = append(future, ov)
		}
	}
	slices.SortFunc(future, func(a, b *event) int { return a.rid.Time.Compare(b.rid.Time) })

	for _, c := range masters {
		if err := x.expandSeries(uid, c, exact, future); err != nil {
			x.fail(uid, err)
		}
		if x.stop != nil {
			return
		}
	}
	// Each override is an instance of its own, wherever it moved to
	// (also when its series is missing, as CalDAV servers send to
	// attendees invited to one instance only).
	seen := map[int64]bool{}
	for i := len(ovs) - 1; i >= 0; i-- {
		ov := ovs[i]
		key := ov.rid.Time.Unix()
		if seen[key] {
			continue // superseded by a later SEQUENCE
		}
		seen[key] = true
		x.keep(x.instance(uid, ov, ov.rid.Time, ov.start.Time, ov.end(ov.start.Time)))
		if !x.charge(1) {
			return
		}
	}
}

func sequence(c *ical.Component) int {
	if p := c.Props.Get(ical.PropSequence); p != nil {
		if n, err := p.Int(); err == nil {
			return n
		}
	}
	return 0
}

// start is one member of a recurrence set.
type setMember struct {
	t   time.Time
	end time.Time // set for an RDATE PERIOD
}

// expandSeries expands one recurring (or single) event.
func (x *expander) expandSeries(uid string, c *ical.Component, exact map[int64]*event, future []*event) error {
	ev, err := x.parseEvent(c, x.opts.Floating)
	if err != nil {
		return err
	}
	loc := ev.start.Time.Location()
	// Values without TZID in a zoned series (EXDATE:19970902T090000 next
	// to DTSTART;TZID=...) are read in the series' zone, as calendar
	// programs mean them.
	valLoc := x.opts.Floating
	if !ev.start.Floating {
		valLoc = loc
	}
	var rules, exrules []Rule
	for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
		r, err := ParseRule(p.Value)
		if err != nil {
			return err
		}
		rules = append(rules, r)
	}
	for _, p := range c.Props.Values("EXRULE") {
		// RFC 2445 §4.8.5.2, deprecated by RFC 5545 but still written.
		r, err := ParseRule(p.Value)
		if err != nil {
			return fmt.Errorf("EXRULE: %w", err)
		}
		exrules = append(exrules, r)
	}
	var rdates []Value
	for _, p := range c.Props.Values(ical.PropRecurrenceDates) {
		vs, err := x.zones.Values(&p, valLoc)
		if err != nil {
			return err
		}
		rdates = append(rdates, vs...)
	}
	exInst := map[int64]bool{}
	exDays := map[int64]bool{}
	for _, p := range c.Props.Values(ical.PropExceptionDates) {
		vs, err := x.zones.Values(&p, valLoc)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if v.Date && !ev.start.Date {
				// A DATE exception of a timed series removes that day.
				exDays[floorDiv(v.civil(), secondsPerDay)] = true
			} else {
				exInst[v.Time.Unix()] = true
			}
		}
	}
	excluded := func(t time.Time) bool {
		return exInst[t.Unix()] || len(exDays) > 0 && exDays[floorDiv(civilOf(t), secondsPerDay)]
	}

	// The window of original starts to look at: an instance that starts
	// before from may still last into it, and THISANDFUTURE overrides may
	// move instances by any amount.
	lo, hi := x.from, x.to
	lo = lo.Add(-max(ev.end(ev.start.Time).Sub(ev.start.Time), 0))
	if !ev.exact {
		// Two days more for nominal durations that grow across a DST
		// change. Exact durations need none: a SECONDLY rule would walk
		// 172,800 instances for nothing.
		lo = lo.Add(-48 * time.Hour)
	}
	for _, f := range future {
		shift := f.start.Time.Sub(f.rid.Time)
		if shift > 0 {
			lo = lo.Add(-shift)
		} else {
			hi = hi.Add(-shift)
		}
		if d := f.end(f.start.Time).Sub(f.start.Time); d > 0 {
			lo = lo.Add(-d)
		}
	}

	// Instances starting at or after the cut are dropped anyway (the
	// calendar has more than MaxInstances before it); with a
	// THISANDFUTURE override moving instances earlier, hi is already
	// wider than to.
	if len(future) == 0 && x.cut.Before(hi) {
		hi = x.cut
	}

	// RFC 5545 §3.8.5.3: the recurrence set is DTSTART, the RRULE and
	// RDATE instances, less the EXDATE (and EXRULE) ones, without
	// duplicates.
	var set []setMember
	if !ev.start.Time.Before(lo) && ev.start.Time.Before(hi) {
		set = append(set, setMember{t: ev.start.Time})
	}
	for _, r := range rules {
		// RFC 5545 §3.3.10: "The "DTSTART" property value always counts
		// as the first occurrence", also when the rule does not produce
		// it (a DTSTART "not synchronized with the recurrence rule").
		if r.Count > 0 {
			probe := r.Iterator(ev.start.Time, x.opts.MaxIterations)
			probe.UseBudget(x.opts.Budget)
			first, ok := probe.Next()
			probe.Settle()
			if err := probe.Err(); err != nil && !errors.Is(err, ErrCapped) {
				x.stop = err
				return nil
			}
			if !ok || !first.Equal(ev.start.Time) {
				r.Count--
				if r.Count == 0 {
					continue
				}
			}
		}
		it := r.Iterator(ev.start.Time, x.opts.MaxIterations)
		it.UseBudget(x.opts.Budget)
		it.Seek(lo)
		n := 0
		complete := lo // every instance before it is in set
		for {
			t, ok := it.Next()
			if !ok || !t.Before(hi) {
				break
			}
			if n == x.opts.MaxInstances {
				// More than the cap in the window: ExpandCalendar
				// keeps the earliest and reports it.
				x.errs = append(x.errs, &CapError{UID: uid, Complete: t,
					Reason: fmt.Sprintf("RRULE %s: more than %d instances in the window", r, x.opts.MaxInstances)})
				break
			}
			set = append(set, setMember{t: t})
			complete = t
			n++
			if !x.charge(1) {
				break
			}
		}
		it.Settle()
		if err := it.Err(); err != nil {
			if !errors.Is(err, ErrCapped) {
				x.stop = err
				return nil
			}
			// Nothing is known after the last instance found.
			x.errs = append(x.errs, &CapError{UID: uid, Complete: complete, Reason: fmt.Sprintf("RRULE %s: %v", r, err)})
		}
		if x.stop != nil {
			return nil
		}
	}
	for _, v := range rdates {
		t := v.Time
		if v.Date && !ev.start.Date {
			// A DATE RDATE in a timed series: that day at DTSTART's time.
			t = At(time.Unix(floorDiv(v.civil(), secondsPerDay)*secondsPerDay+ev.start.civil()%secondsPerDay, 0).UTC(), loc)
		}
		if !t.Before(hi) || t.Before(lo) && (v.End.IsZero() || !v.End.After(x.from)) {
			continue // far from the window
		}
		set = append(set, setMember{t: t.In(loc), end: v.End})
		if !x.charge(1) {
			return nil
		}
	}
	slices.SortStableFunc(set, func(a, b setMember) int { return a.t.Compare(b.t) })
	// EXRULE instances are walked beside the sorted set rather than
	// collected: a rule excluding every second costs no memory.
	exits := make([]*exclusion, 0, len(exrules))
	for _, r := range exrules {
		it := r.Iterator(ev.start.Time, x.opts.MaxIterations)
		it.UseBudget(x.opts.Budget)
		it.Seek(lo)
		exits = append(exits, &exclusion{it: it})
	}
	defer func() {
		for _, ex := range exits {
			ex.it.Settle()
			if err := ex.it.Err(); err != nil && !errors.Is(err, ErrCapped) && x.stop == nil {
				x.stop = err
			}
		}
	}()
	var prev time.Time
	for i, m := range set {
		if i > 0 && m.t.Equal(prev) {
			continue
		}
		prev = m.t
		if excluded(m.t) {
			continue
		}
		if len(exits) > 0 && slices.ContainsFunc(exits, func(ex *exclusion) bool { return ex.has(m.t) }) {
			continue
		}
		rid := m.t
		if _, ok := exact[rid.Unix()]; ok {
			continue // replaced by its override
		}
		inst := x.instance(uid, ev, rid, rid, ev.end(rid))
		if !m.end.IsZero() {
			inst.End = m.end.In(loc)
		}
		// RFC 5545 §3.2.13: RANGE=THISANDFUTURE applies an override to
		// every later instance too; the latest such override wins.
		for j := len(future) - 1; j >= 0; j-- {
			f := future[j]
			if rid.Before(f.rid.Time) {
				continue
			}
			start := shiftWall(rid, f.rid.Time, f.start.Time)
			inst = x.instance(uid, f, rid, start, f.end(start))
			break
		}
		x.keep(inst)
		if len(x.out) > 4*x.opts.MaxInstances {
			x.trim()
		}
	}
	return nil
}

// exclusion walks the instances of an EXRULE in order, for membership
// tests in increasing time.
type exclusion struct {
	it   *Iterator
	next time.Time
	have bool
	end  bool
}

// has reports whether t is an instance of the rule; calls must come with
// increasing t.
func (ex *exclusion) has(t time.Time) bool {
	for !ex.end && (!ex.have || ex.next.Before(t)) {
		ex.next, ex.have = ex.it.Next()
		ex.end = !ex.have
	}
	return ex.have && ex.next.Equal(t)
}

// shiftWall moves t by the wall clock distance between from and to (in t's
// location), so that a series moved from 09:00 to 10:00 stays at 10:00
// across a DST change.
func shiftWall(t, from, to time.Time) time.Time {
	loc := t.Location()
	d := civilOf(to.In(loc)) - civilOf(from.In(loc))
	u, _ := newWallResolver(loc).instant(civilOf(t) + d)
	return time.Unix(u, 0).In(loc)
}
