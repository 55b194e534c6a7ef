package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
)

// prodID names Convene in the calendars it writes (RFC 5545 §3.7.3).
const prodID = "-//Convene//Convene Calendar//EN"

// Skipped is an event of an import or a feed that was not stored, and why.
type Skipped struct {
	UID    string `json:"uid,omitempty"`
	Reason string `json:"reason"`
}

// parsedObject is one calendar object resource made from an import or a
// feed: the components of one UID with the time zones they use.
type parsedObject struct {
	uid  string
	cal  *ical.Calendar
	data []byte
	a    *analysis
}

// splitCalendars turns the VCALENDARs of an import or an ICS feed into one
// calendar object per UID (RFC 4791 §4.1), each with the VTIMEZONEs its
// events name. Events it cannot store are returned as Skipped; other
// components (VTODO, VJOURNAL…) are counted there too. At most maxObjects
// objects are made.
func splitCalendars(cals []*ical.Calendar, owner string, maxObjects int) ([]parsedObject, []Skipped) {
	objs, skipped, _ := splitCalendarsWith(nil, cals, owner, maxObjects)
	return objs, skipped
}

// splitCalendarsWith is splitCalendars with the analysis of the objects
// charged to budget (nil: none); when budget runs out it stops and returns
// budget's error.
func splitCalendarsWith(budget *recur.Budget, cals []*ical.Calendar, owner string, maxObjects int) ([]parsedObject, []Skipped, error) {
	type group struct {
		events []*ical.Component
		zones  map[string]*ical.Component
	}
	groups := map[string]*group{}
	var order []string
	var skipped []Skipped
	others := map[string]int{}
	for _, cal := range cals {
		zones := map[string]*ical.Component{}
		for _, c := range cal.Children {
			if c.Name == ical.CompTimezone {
				if id, err := c.Props.Text(ical.PropTimezoneID); err == nil && zones[id] == nil {
					zones[id] = c
				}
			}
		}
		for _, c := range cal.Children {
			switch c.Name {
			case ical.CompTimezone:
				continue
			case ical.CompEvent:
			default:
				others[c.Name]++
				continue
			}
			uid, _ := c.Props.Text(ical.PropUID)
			uid = strings.TrimSpace(uid)
			if uid == "" {
				// RFC 5545 requires a UID; give a stable one, so that
				// importing the same file twice changes nothing.
				uid = "convene-" + componentHash(c)
				c.Props.SetText(ical.PropUID, uid)
			}
			if c.Props.Get(ical.PropDateTimeStamp) == nil {
				// go-ical (and RFC 5545 §3.6.1) want a DTSTAMP; a fixed one
				// keeps the stored text, and so its ETag, stable.
				stamp := ical.NewProp(ical.PropDateTimeStamp)
				stamp.Value = "20000101T000000Z"
				if lm := c.Props.Get(ical.PropLastModified); lm != nil && strings.HasSuffix(lm.Value, "Z") {
					stamp.Value = lm.Value
				}
				c.Props.Set(stamp)
			}
			g := groups[uid]
			if g == nil {
				if len(order) >= maxObjects {
					skipped = append(skipped, Skipped{UID: uid, Reason: fmt.Sprintf("over the limit of %d events per calendar", maxObjects)})
					continue
				}
				g = &group{zones: map[string]*ical.Component{}}
				groups[uid] = g
				order = append(order, uid)
			}
			g.events = append(g.events, c)
			for _, id := range tzids(c) {
				if z := zones[id]; z != nil && g.zones[id] == nil {
					g.zones[id] = z
				}
			}
		}
	}
	var out []parsedObject
	for _, uid := range order {
		g := groups[uid]
		cal := ical.NewCalendar()
		cal.Props.SetText(ical.PropProductID, prodID)
		cal.Props.SetText(ical.PropVersion, "2.0")
		ids := make([]string, 0, len(g.zones))
		for id := range g.zones {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			cal.Children = append(cal.Children, g.zones[id])
		}
		cal.Children = append(cal.Children, g.events...)
		data, err := encode(cal)
		if err != nil {
			skipped = append(skipped, Skipped{UID: uid, Reason: reason(err)})
			continue
		}
		a, err := analyzeWith(cal, owner, budget)
		if berr := budget.Err(); berr != nil {
			return nil, nil, berr
		}
		if err != nil {
			skipped = append(skipped, Skipped{UID: uid, Reason: reason(err)})
			continue
		}
		out = append(out, parsedObject{uid: uid, cal: cal, data: data, a: a})
	}
	names := make([]string, 0, len(others))
	for n := range others {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		skipped = append(skipped, Skipped{Reason: fmt.Sprintf("%d %s component(s) left out: only events (VEVENT) are kept", others[n], n)})
	}
	return out, skipped, nil
}

// reason is the text of an error for a Skipped entry.
func reason(err error) string {
	s := err.Error()
	return strings.TrimPrefix(s, ErrInvalidObject.Error()+": ")
}

// tzids returns the TZID parameters used by the properties of c.
func tzids(c *ical.Component) []string {
	var out []string
	for _, props := range c.Props {
		for _, p := range props {
			if id := p.Params.Get(ical.PropTimezoneID); id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// componentHash hashes a component's properties in a fixed order.
func componentHash(c *ical.Component) string {
	h := sha256.New()
	names := make([]string, 0, len(c.Props))
	for n := range c.Props {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, p := range c.Props[n] {
			fmt.Fprintf(h, "%s;%v:%s\n", n, p.Params, p.Value)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}
