package synth

import (
	"reflect"
	"testing"
)

func TestGenerateIsSeededAndExact(t *testing.T) {
	a, err := Generate(5, 6, 500, 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(5, 6, 500, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Raw, b.Raw) {
		t.Fatal("same seed, different calendars")
	}
	c, err := Generate(6, 6, 500, 2)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Raw, c.Raw) {
		t.Fatal("different seeds, same calendars")
	}
	for i, raw := range a.Raw {
		if len(raw) != 500 {
			t.Fatalf("person %d has %d intervals, want 500", i, len(raw))
		}
		overlapping := a.People[i].Busy.Len() < len(raw)
		if !overlapping {
			t.Fatalf("person %d: no overlapping intervals", i)
		}
		for _, iv := range raw {
			if !iv.End.After(iv.Start) || iv.Start.Before(a.From.AddDate(0, 0, -1)) || iv.End.After(a.To.AddDate(0, 0, 1)) {
				t.Fatalf("person %d: bad interval %v", i, iv)
			}
		}
	}
	d, err := Dense(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range d.Raw {
		if len(raw) != BaseIntervals || d.People[i].Busy.Len() != BaseIntervals {
			t.Fatalf("dense person %d: %d raw, %d merged", i, len(raw), d.People[i].Busy.Len())
		}
	}
}
