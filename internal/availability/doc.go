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
// Each person's busy intervals are swept once, in time order, together with
// their working windows (a leapfrog join across attendees: every cursor only
// moves forward). A query costs O(log B) to find its place in each Busy, plus
// time linear in the busy intervals and working days it passes over, plus
// O(attendees) per candidate slot. Earliest-first stops as soon as it has its
// slots; the ranked mode sweeps the whole window. There is no per-minute grid.
package availability
