package recur

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/emersion/go-ical"
)

// ErrMalformed is wrapped by every error of Decode and DecodeCalendars.
var ErrMalformed = errors.New("recur: malformed calendar")

// MaxDepth bounds the nesting of components Decode accepts: go-ical
// decodes recursively, and real calendars nest three deep (VCALENDAR,
// VEVENT, VALARM).
const MaxDepth = 8

// utf8BOM is the byte order mark some programs (Outlook, Windows
// Notepad, Excel exports) write at the start of UTF-8 text.
var utf8BOM = []byte("\uFEFF")

// Decode reads every VCALENDAR object of data (a file may hold several,
// one after the other) with go-ical. It is the one entry point through
// which Convene decodes calendars (imports, feeds, CalDAV, convene ical),
// so that they are all read alike:
//
//   - a UTF-8 byte order mark at the start is skipped, as Outlook writes
//     one (RFC 5545 §3.1.4 makes UTF-8 the default charset; the BOM is
//     no content);
//   - components nesting deeper than MaxDepth are refused before go-ical's
//     recursive decoder sees them;
//   - go-ical's decoder panics on some malformed content lines (fuzzing
//     found "0;0=": a parameter with no value at the end of the line): the
//     panic becomes an error, so that a bad feed fails as a bad feed and
//     not as a crash of whoever reads it.
//
// Lines may end in CRLF or a bare LF, and property, parameter and
// component names are read case-insensitively (RFC 5545 §2, §3.1); go-ical
// does both.
func Decode(data []byte) (cals []*ical.Calendar, err error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	defer func() {
		if p := recover(); p != nil {
			cals, err = nil, fmt.Errorf("%w: unreadable content line (%v)", ErrMalformed, p)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	for {
		cal, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			if len(cals) == 0 {
				return nil, fmt.Errorf("%w: no VCALENDAR object", ErrMalformed)
			}
			return cals, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		cals = append(cals, cal)
	}
}

// DecodeCalendars reads r to its end and decodes it with Decode.
func DecodeCalendars(r io.Reader) ([]*ical.Calendar, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("recur: read calendar: %w", err)
	}
	return Decode(data)
}

// checkDepth refuses components nested deeper than MaxDepth.
func checkDepth(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	depth := 0
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) < 4 {
			continue
		}
		switch {
		case hasPrefixFold(line, "BEGIN:"), hasPrefixFold(line, "BEGIN;"):
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("%w: components nest deeper than %d", ErrMalformed, MaxDepth)
			}
		case hasPrefixFold(line, "END:"), hasPrefixFold(line, "END;"):
			depth--
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return nil
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && bytes.EqualFold(b[:len(prefix)], []byte(prefix))
}
