// Package availability finds meeting times: it merges busy intervals, turns
// weekly working hours in each person's own IANA time zone into instants, and
// searches the times at which every attendee is free, ranked earliest first or
// by a fairness score (DESIGN.md §2 step 3, §4 GET /api/v1/availability).
//
// The package is pure computation on values held in memory: no database, no
// network, no clock of its own (the caller passes "now"). It must never import
// internal/store, internal/web, the mail or assistant front ends, or any other
// package that does I/O; storage and the HTTP handler call into it.
//
// # Model
//
//   - A [Busy] is one person's busy time, sorted and merged once by [NewBusy]
//     (or [BusyFromEvents]) and then shared, read-only, by any number of
//     concurrent queries.
//   - [WorkingHours] are clock ranges per weekday in the person's zone; a
//     [DateOverride] replaces them on one local date. A range covers exactly
//     the instants at which the person's wall clock, on that date, shows a time
//     inside the range: on a spring-forward day a boundary in the skipped hour
//     moves forward to the end of the gap (02:30 becomes 03:00 in Paris), and
//     on a fall-back day a repeated hour inside the range is covered twice.
//   - A [Person] adds buffers, minimum notice and (for the organizer)
//     preferred times; a [Query] asks for slots of one duration in a window.
//   - [Search] returns the best slots; [Propose] returns a few well-spread
//     options for external guests; [Check] explains why one start time does
//     not suit everyone.
//
// # Cost
//
// Busy time is prepared once: NewBusy sorts (a radix sort, linear for
// calendar data) and merges. A query then sweeps each attendee's merged
// busy intervals and working windows forward in time, together (a leapfrog
// join: each attendee's
// cursor proposes the first start at or after t that fits their free time,
// t jumps to the latest proposal, and a slot is found when all agree; no
// cursor ever moves back). It costs O(log n) per attendee to find its
// place, then time linear in the busy intervals and working days passed
// (a cursor far behind the others gallops over busy intervals instead of
// walking them), plus O(attendees) per candidate start examined. There is
// no per-minute grid and no rescan. Earliest stops as soon as it has its
// slots; Balanced sweeps the whole window; Propose with Earliest stops once
// it has slots on enough days. See bench_test.go and bench/slotsearch.
package availability
