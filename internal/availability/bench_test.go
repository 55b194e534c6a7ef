package availability_test

import (
	"fmt"
	"testing"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/availability/synth"
)

// The benchmarks run the DESIGN §7 scenario (20 attendees × 2,000 busy
// intervals over 8 weeks in 3 zones; synth.Scale) at 1×, 4× and 16×: each
// scale multiplies the weeks and the intervals, keeping the density.
//
// Inside the timing of BenchmarkSearch and BenchmarkPropose: validating the
// query, walking every attendee's working hours (zone conversions included)
// and merged Busy, ranking, building the result. Outside: generating the
// calendars and merging each person's raw intervals into a Busy, which
// Convene does once when busy time syncs; BenchmarkPrepare measures that.

var scales = []int{1, 4, 16}

var scenarios = map[string]*synth.Scenario{}

// scenario returns the realistic calendars (synth.Scale) or, with dense,
// the stress variant whose busy intervals never overlap (synth.Dense).
func scenario(b *testing.B, scale int, dense bool) *synth.Scenario {
	b.Helper()
	key := fmt.Sprint(scale, dense)
	if sc, ok := scenarios[key]; ok {
		return sc
	}
	gen := synth.Scale
	if dense {
		gen = synth.Dense
	}
	sc, err := gen(1, scale)
	if err != nil {
		b.Fatal(err)
	}
	scenarios[key] = sc
	return sc
}

// merged reports the merged busy intervals of all attendees.
func merged(sc *synth.Scenario) int {
	n := 0
	for _, p := range sc.People {
		n += p.Busy.Len()
	}
	return n
}

// BenchmarkSearch measures one query for the best 10 slots of 30 minutes
// over the whole scenario window. earliest stops once it has 10 slots;
// balanced sweeps the whole window and scores every candidate; all asks
// earliest-first for every slot, so it sweeps the whole window too (the
// bound when slots are rare). The dense variants use synth.Dense, where no
// busy interval overlaps another. The busy metric is the number of merged
// intervals of all attendees.
func BenchmarkSearch(b *testing.B) {
	for _, data := range []string{"realistic", "dense"} {
		for _, mode := range []string{"earliest", "balanced", "all"} {
			for _, s := range scales {
				b.Run(fmt.Sprintf("%s/%s/scale=%d", data, mode, s), func(b *testing.B) {
					sc := scenario(b, s, data == "dense")
					q := sc.Query(availability.Earliest)
					want := 10
					switch mode {
					case "balanced":
						q.Ranking = availability.Balanced
					case "all":
						q.Limit, want = 1<<30, 0
					}
					b.ReportAllocs()
					b.ResetTimer()
					var n int
					for b.Loop() {
						slots, err := availability.Search(q)
						if err != nil {
							b.Fatal(err)
						}
						n = len(slots)
					}
					if (want > 0 && n != want) || n == 0 {
						b.Fatalf("%d slots", n)
					}
					b.ReportMetric(float64(merged(sc)), "busy")
					if mode == "all" {
						b.ReportMetric(float64(n), "slots")
					}
				})
			}
		}
	}
}

// BenchmarkPropose measures Propose(5) over the whole scenario window.
func BenchmarkPropose(b *testing.B) {
	for _, mode := range []availability.Ranking{availability.Earliest, availability.Balanced} {
		for _, s := range scales {
			b.Run(fmt.Sprintf("%s/scale=%d", mode, s), func(b *testing.B) {
				q := scenario(b, s, false).Query(mode)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if _, err := availability.Propose(q, 5); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPrepare measures merging the raw intervals of all 20 attendees
// into their Busy (NewBusy: radix sort by start, merge), done once per sync.
func BenchmarkPrepare(b *testing.B) {
	for _, s := range scales {
		b.Run(fmt.Sprintf("scale=%d", s), func(b *testing.B) {
			sc := scenario(b, s, false)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				for _, raw := range sc.Raw {
					availability.NewBusy(raw)
				}
			}
			b.ReportMetric(float64(len(sc.Raw)*len(sc.Raw[0])), "raw")
		})
	}
}
