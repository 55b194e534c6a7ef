package recur

import (
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-ical"
)

// DecodeCalendars reads every VCALENDAR object of r (a file may hold
// several, one after the other) with go-ical.
//
// go-ical's decoder panics on some malformed content lines (fuzzing found
// "0;0=": a parameter with no value at the end of the line); the panic is
// turned into an error here, so that a bad feed fails as a bad feed and not
// as a crash of whoever reads it.
func DecodeCalendars(r io.Reader) (cals []*ical.Calendar, err error) {
	defer func() {
		if p := recover(); p != nil {
			cals, err = nil, fmt.Errorf("recur: malformed calendar: %v", p)
		}
	}()
	dec := ical.NewDecoder(r)
	for {
		cal, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			if len(cals) == 0 {
				return nil, errors.New("recur: no VCALENDAR object")
			}
			return cals, nil
		}
		if err != nil {
			return nil, fmt.Errorf("recur: malformed calendar: %w", err)
		}
		cals = append(cals, cal)
	}
}
