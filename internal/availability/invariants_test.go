package availability_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/convene/convene/internal/availability"
	"github.com/convene/convene/internal/availability/synth"
)

// working reports, from the definitions alone, whether the minute at u is
// working time for p.
func working(p *availability.Person, u time.Time) bool {
	t := u.In(p.Location)
	clock := availability.Clock(t.Hour()*60 + t.Minute())
	hours := p.Hours
	if hours.IsZero() {
		hours = availability.DefaultWorkingHours()
	}
	ranges := hours.Days[t.Weekday()]
	for _, o := range p.Overrides {
		if o.Date == (availability.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}) {
			ranges = o.Ranges
		}
	}
	for _, r := range ranges {
		if r.Start <= clock && clock < r.End {
			return true
		}
	}
	return false
}

// TestInvariantsOnRealisticCalendars runs random queries over the synthetic
// team (thousands of raw intervals each) and checks every slot against the
// raw, unmerged intervals and the definitions: inside the window and
// everyone's working hours, past everyone's notice, on the organizer's
// grid, clear of every raw busy interval widened by the buffers, in ranking
// order; and Propose's options on different days when there are enough.
func TestInvariantsOnRealisticCalendars(t *testing.T) {
	sc, err := synth.Generate(9, 12, 2000, 4)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(9, 9))
	queries := 150
	if testing.Short() {
		queries = 30
	}
	found := 0
	for i := range queries {
		var people []*availability.Person
		raw := map[*availability.Person][]availability.Interval{}
		for j, p := range sc.People {
			if len(people) == 0 || r.IntN(3) == 0 {
				people = append(people, p)
				raw[p] = sc.Raw[j]
			}
		}
		from := sc.From.Add(time.Duration(r.IntN(14*24*4)) * 15 * time.Minute)
		q := availability.Query{
			People:      people,
			Duration:    time.Duration(15*(1+r.IntN(6))) * time.Minute,
			From:        from,
			To:          from.Add(time.Duration(1+r.IntN(14)) * 24 * time.Hour),
			Now:         from.Add(-time.Duration(r.IntN(600)) * time.Minute),
			Granularity: []time.Duration{0, 5 * time.Minute, 30 * time.Minute, time.Hour}[r.IntN(4)],
			Limit:       1 + r.IntN(30),
			Ranking:     availability.Ranking(r.IntN(2)),
		}
		slots, err := availability.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		found += len(slots)
		grid := q.Granularity
		if grid == 0 {
			grid = availability.DefaultGranularity
		}
		for k, s := range slots {
			if s.Start.Before(q.From) || s.End.After(q.To) || !s.End.Equal(s.Start.Add(q.Duration)) {
				t.Fatalf("query %d: slot %v-%v outside window %v-%v", i, s.Start, s.End, q.From, q.To)
			}
			l := s.Start.In(people[0].Location)
			if time.Duration(l.Hour()*60+l.Minute())*time.Minute%grid != 0 || l.Second() != 0 {
				t.Fatalf("query %d: slot %v off the organizer's grid", i, l)
			}
			for _, p := range people {
				if s.Start.Before(q.Now.Add(p.MinNotice)) {
					t.Fatalf("query %d: slot %v before %s's notice", i, s.Start, p.ID)
				}
				for u := s.Start; u.Before(s.End); u = u.Add(time.Minute) {
					if !working(p, u) {
						t.Fatalf("query %d: slot %v leaves %s's working hours at %v", i, s.Start, p.ID, u.In(p.Location))
					}
				}
				lo, hi := s.Start.Add(-p.BufferBefore), s.End.Add(p.BufferAfter)
				for _, b := range raw[p] {
					if b.Start.Before(hi) && lo.Before(b.End) {
						t.Fatalf("query %d: slot %v (buffers %v/%v) overlaps %s's busy %v-%v", i, s.Start, p.BufferBefore, p.BufferAfter, p.ID, b.Start, b.End)
					}
				}
			}
			if k > 0 {
				prev := slots[k-1]
				ordered := prev.Score > s.Score || (prev.Score == s.Score && prev.Start.Before(s.Start))
				if q.Ranking == availability.Earliest {
					ordered = prev.Start.Before(s.Start) && prev.Score >= s.Score
				}
				if !ordered {
					t.Fatalf("query %d (%v): slots out of order: %v then %v", i, q.Ranking, prev, s)
				}
			}
		}
		// Propose: valid slots (a subset of everything Search finds), on
		// different days of the organizer whenever enough days have slots.
		all := q
		all.Limit = 1 << 20
		every, err := availability.Search(all)
		if err != nil {
			t.Fatal(err)
		}
		valid := map[time.Time]bool{}
		days := map[string]bool{}
		for _, s := range every {
			valid[s.Start] = true
			days[s.Start.In(people[0].Location).Format(time.DateOnly)] = true
		}
		opts, err := availability.Propose(q, 4)
		if err != nil {
			t.Fatal(err)
		}
		optDays := map[string]bool{}
		for k, o := range opts {
			if !valid[o.Start] {
				t.Fatalf("query %d: proposed %v is not a valid slot", i, o.Start)
			}
			if k > 0 && o.Start.Before(opts[k-1].End) {
				t.Fatalf("query %d: options overlap or are out of order: %v", i, opts)
			}
			optDays[o.Start.In(people[0].Location).Format(time.DateOnly)] = true
		}
		if want := min(4, len(days)); len(optDays) < want {
			t.Fatalf("query %d: options on %d days, %d days have slots: %v", i, len(optDays), len(days), opts)
		}
	}
	if found < queries {
		t.Fatalf("only %d slots in %d queries: the test tests too little", found, queries)
	}
}
