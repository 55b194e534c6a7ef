package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/recur"
)

func init() {
	register(command{name: "ical", summary: "iCalendar tools: expand prints the instances of a calendar", run: runICal})
}

const icalUsage = `Usage: convene ical expand --from RFC3339 --to RFC3339 [--timezone TZ] [--max-instances N] < calendar.ics

Reads an iCalendar file on standard input and prints every event instance
that overlaps [from, to), one JSON object per line, sorted by start:
  {"uid": ..., "start": ..., "end": ..., "summary": ...}
Timed events print start and end in RFC 3339 with the event's own UTC offset;
all-day events print dates ("2026-03-01"), the end date exclusive.
Recurrences (RRULE, RDATE, EXDATE), overridden and cancelled instances and
the calendar's VTIMEZONEs are applied (a TZID the time zone database knows,
IANA or Windows, follows the database). The expansion is bounded: past
--max-instances instances in or near the window (or the work that many
take), or on an interrupt, it stops, prints nothing and says why.
Exit status: 1 for a calendar that cannot be read (instances found before
the error are printed) or an expansion stopped by its bound, 2 for bad flags.
`

func runICal(ctx context.Context, args []string, env environment) int {
	if len(args) == 0 || args[0] != "expand" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help") {
			fmt.Fprint(env.stdout, icalUsage)
			return 0
		}
		fmt.Fprint(env.stderr, icalUsage)
		return 2
	}
	fs := flag.NewFlagSet("convene ical expand", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), icalUsage+"\nFlags:\n"); fs.PrintDefaults() }
	fromFlag := fs.String("from", "", "start of the window, RFC 3339 (required)")
	toFlag := fs.String("to", "", "end of the window, RFC 3339, exclusive (required)")
	tzFlag := fs.String("timezone", "UTC", "IANA zone of floating times and all-day events")
	maxFlag := fs.Int("max-instances", recur.DefaultMaxInstances, "the most instances to expand in or near the window")
	if err := fs.Parse(args[1:]); err != nil {
		return flagExit(err)
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(env.stderr, "convene ical expand: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return bad("unexpected argument %q", fs.Arg(0))
	}
	from, err := time.Parse(time.RFC3339, *fromFlag)
	if err != nil {
		return bad("--from: want an RFC 3339 time, got %q", *fromFlag)
	}
	to, err := time.Parse(time.RFC3339, *toFlag)
	if err != nil {
		return bad("--to: want an RFC 3339 time, got %q", *toFlag)
	}
	if to.Before(from) {
		return bad("--to is before --from")
	}
	floating, err := recur.LoadLocation(*tzFlag)
	if err != nil {
		return bad("--timezone: %v", err)
	}
	if *maxFlag < 1 {
		return bad("--max-instances: want at least 1, got %d", *maxFlag)
	}

	cals, err := recur.DecodeCalendars(bufio.NewReader(env.stdin))
	if err != nil {
		fmt.Fprintf(env.stderr, "convene ical expand: bad calendar: %v\n", err)
		return 1
	}
	// One budget for the whole run, bound to the interrupt signals.
	budget := recur.NewBudget(ctx, *maxFlag, 0)
	var all []recur.Instance
	var errs []error
	for _, cal := range cals {
		got, err := recur.ExpandCalendar(cal, from, to, recur.Options{Floating: floating, MaxInstances: *maxFlag, Budget: budget})
		if berr := budget.Err(); berr != nil {
			if errors.Is(berr, recur.ErrBudget) {
				fmt.Fprintf(env.stderr, "convene ical expand: stopped: %v in or near the window; narrow --from/--to or raise --max-instances\n", berr)
			} else {
				fmt.Fprintf(env.stderr, "convene ical expand: interrupted\n")
			}
			return 1
		}
		all = append(all, got...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	slices.SortStableFunc(all, func(a, b recur.Instance) int { return a.Start.Compare(b.Start) })

	out := bufio.NewWriter(env.stdout)
	enc := json.NewEncoder(out)
	for _, in := range all {
		line := struct {
			UID     string `json:"uid"`
			Start   string `json:"start"`
			End     string `json:"end"`
			Summary string `json:"summary"`
		}{UID: in.UID, Start: in.Start.Format(time.RFC3339), End: in.End.Format(time.RFC3339), Summary: in.Summary}
		if in.AllDay {
			line.Start, line.End = in.Start.Format(time.DateOnly), in.End.Format(time.DateOnly)
		}
		if err := enc.Encode(line); err != nil {
			fmt.Fprintf(env.stderr, "convene ical expand: %v\n", err)
			return 1
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(env.stderr, "convene ical expand: %v\n", err)
		return 1
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(env.stderr, "convene ical expand: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return 1
	}
	return 0
}
