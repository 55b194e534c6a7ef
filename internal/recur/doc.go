// Package recur expands iCalendar recurrences: RFC 5545 recurrence rules
// (RRULE), recurrence dates (RDATE), exceptions (EXDATE), overridden and
// cancelled instances (RECURRENCE-ID), and the time zones they are written in
// (IANA names, the calendar's own VTIMEZONE definitions and Windows zone
// names).
//
// The availability search, the built-in calendar, the CalDAV client and the
// invitation code use it to turn a calendar into the instants at which its
// events happen. Three layers are exported:
//
//   - Rule: one RRULE value, parsed with ParseRule and expanded against a
//     DTSTART with Rule.Iterator or Rule.Between. Expansion works on wall
//     clock (civil) time and converts to instants at the end, so that a
//     daily 09:00 meeting stays at 09:00 across daylight saving changes.
//   - Zones: resolves a TZID parameter into a *time.Location, using the
//     calendar's VTIMEZONE components, then IANA names, then Windows names.
//   - ExpandCalendar: every instance of every event of a calendar in a time
//     window, with overrides applied, sorted by start.
//
// Every expansion is bounded three ways:
//
//   - by its window: rules jump to the window arithmetically
//     (Iterator.Seek), also with COUNT when their periods all yield the same
//     number of instances (SECONDLY, MINUTELY, HOURLY, DAILY and WEEKLY
//     rules without limits), so instances far from the window are never
//     materialized;
//   - per call: Options.MaxInstances caps the instances and
//     Options.MaxIterations the work spent looking for them, so a rule that
//     produces a result every second for decades, or one that never
//     matches, returns what it found and a *CapError (wrapping ErrCapped)
//     that says up to when the result is complete (CompleteUntil);
//   - per request: a Budget (NewBudget) shared by every expansion of one
//     request caps the instances held and the steps taken across all of
//     them, and follows the request's context; when it runs out, the
//     expansion stops with an error wrapping ErrBudget (or the context's
//     error), which callers turn into a refusal, not a partial answer.
//
// Decode is the one way calendars are read (a byte order mark skipped,
// nesting bounded, the decoder's panics turned into errors).
//
// This package is part of Convene's core: it must never import the store,
// the web or mail front ends, or any other Convene package; it depends only
// on the standard library and github.com/emersion/go-ical.
package recur
