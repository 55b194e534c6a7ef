// Command slotsearch measures the availability slot search on the DESIGN §7
// scenario (20 attendees × 2,000 busy intervals over 8 weeks in 3 time
// zones) at 1×, 4× and 16× the data, and prints queries per second and the
// p50 and p99 time per query. It is run by hand (go run ./bench/slotsearch),
// not in CI.
//
// Each scale multiplies both the weeks and the intervals per person, so the
// density of busy time stays the same. Inside the timing: one whole query
// (validation, every attendee's working hours and merged busy time, ranking,
// the result). Outside: generating the calendars and merging each person's
// raw intervals into an availability.Busy, which Convene does once when busy
// time syncs; that preparation is timed and printed on its own.
//
// Times are the CPU time of the measuring thread (on Linux), so that other
// work on a shared machine does not inflate them; the wall-clock p99 is
// printed beside them.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/availability/synth"
)

func main() {
	seed := flag.Uint64("seed", 1, "seed of the synthetic calendars and queries")
	queries := flag.Int("queries", 2000, "queries per scale and mode")
	scales := flag.String("scales", "1,4,16", "comma-separated scales")
	dense := flag.Bool("dense", false, "use synth.Dense: no busy interval overlaps another")
	flag.Parse()
	runtime.GOMAXPROCS(1) // one core, as DESIGN §7 states the target

	fmt.Printf("slot search, %s, GOMAXPROCS=1, %d queries per line\n", runtime.Version(), *queries)
	clock := "thread CPU time"
	if !haveThreadCPU {
		clock = "wall time"
	}
	fmt.Printf("times are %s; qps = queries per second of that time on one core\n", clock)
	fmt.Printf("%-6s %-9s %8s %8s %10s %10s %10s %10s\n", "scale", "mode", "raw/p", "merged", "queries/s", "p50", "p99", "p99 wall")
	for _, f := range strings.Split(*scales, ",") {
		scale, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || scale < 1 {
			fmt.Fprintf(os.Stderr, "slotsearch: bad scale %q\n", f)
			os.Exit(2)
		}
		gen := synth.Scale
		if *dense {
			gen = synth.Dense
		}
		sc, err := gen(*seed, scale)
		if err != nil {
			fmt.Fprintf(os.Stderr, "slotsearch: %v\n", err)
			os.Exit(1)
		}
		merged := 0
		for _, p := range sc.People {
			merged += p.Busy.Len()
		}
		row := func(mode string, ds, walls []time.Duration) {
			var total time.Duration
			for _, d := range ds {
				total += d
			}
			slices.Sort(ds)
			slices.Sort(walls)
			r := func(d time.Duration) time.Duration { return d.Round(time.Microsecond / 10) }
			fmt.Printf("%-6s %-9s %8d %8d %10.0f %10v %10v %10v\n", fmt.Sprintf("%d×", scale), mode, sc.Intervals, merged,
				float64(len(ds))/total.Seconds(), r(ds[len(ds)/2]), r(ds[len(ds)*99/100]), r(walls[len(walls)*99/100]))
		}
		// measure times f by thread CPU time (wall time where there is
		// none) and by wall time.
		measure := func(f func()) (time.Duration, time.Duration) {
			c0, t0 := threadCPU(), time.Now()
			f()
			wall := time.Since(t0)
			if !haveThreadCPU {
				return wall, wall
			}
			return threadCPU() - c0, wall
		}

		// Preparation: NewBusy for all attendees (outside the query timing).
		reps := max(3, 100/scale)
		var prep, prepWall []time.Duration
		for range reps {
			c, w := measure(func() {
				for _, raw := range sc.Raw {
					availability.NewBusy(raw)
				}
			})
			prep, prepWall = append(prep, c), append(prepWall, w)
		}
		row("prepare", prep, prepWall)

		for _, mode := range []string{"earliest", "balanced", "propose5"} {
			r := rand.New(rand.NewPCG(*seed, uint64(scale)))
			ds := make([]time.Duration, 0, *queries)
			walls := make([]time.Duration, 0, *queries)
			for i := range *queries + *queries/10 {
				// Windows from a random quarter hour of the first week to
				// the end of the calendars.
				from := sc.From.Add(time.Duration(r.IntN(7*24*4)) * 15 * time.Minute)
				q := sc.Query(availability.Earliest)
				q.From, q.Now = from, from.Add(-time.Hour)
				if mode == "balanced" {
					q.Ranking = availability.Balanced
				}
				var n int
				var err error
				c, w := measure(func() {
					if mode == "propose5" {
						var opts []availability.Slot
						opts, err = availability.Propose(q, 5)
						n = len(opts)
					} else {
						var slots []availability.Slot
						slots, err = availability.Search(q)
						n = len(slots)
					}
				})
				if err != nil {
					fmt.Fprintf(os.Stderr, "slotsearch: %v\n", err)
					os.Exit(1)
				}
				if n == 0 {
					fmt.Fprintf(os.Stderr, "slotsearch: %s query %d found nothing\n", mode, i)
					os.Exit(1)
				}
				if i >= *queries/10 { // the first tenth warms up
					ds, walls = append(ds, c), append(walls, w)
				}
			}
			row(mode, ds, walls)
		}
	}
}
