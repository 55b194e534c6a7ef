package assistant

import (
	"strings"
	"time"
)

// offsetZones are the zones a guest's Date offset is read as, in order of
// preference when several share an offset at that date. The offset of a
// mail says where its author's clock is, not which zone: the first zone
// whose offset matches at the mail's date stands for it, so that the
// options are written in the guest's wall clock (and follow its DST from
// then on, which a fixed offset would not).
var offsetZones = []string{
	"Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata",
	"Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
	"Pacific/Auckland", "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "America/Halifax", "America/St_Johns", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires", "Africa/Lagos", "Africa/Johannesburg", "Africa/Nairobi", "Asia/Tehran",
}

// zoneForOffset returns the zone that has the UTC offset off (seconds) at
// at: prefer when it does, else the first of offsetZones; "" for none.
func zoneForOffset(off int, at time.Time, prefer string) string {
	match := func(name string) bool {
		loc, err := time.LoadLocation(name)
		if err != nil {
			return false
		}
		_, o := at.In(loc).Zone()
		return o == off
	}
	if prefer != "" && match(prefer) {
		return prefer
	}
	for _, z := range offsetZones {
		if match(z) {
			return z
		}
	}
	return ""
}

// guestZone is a guest's zone when the request is read: from the Date of
// the guest's own mail when the organizer forwards it, else the
// organizer's zone.
func guestZone(in *incoming, email, organizerZone string) string {
	if f := in.m.Forward; f != nil && !f.DateTime.IsZero() && f.From.Email != "" && strings.EqualFold(f.From.Email, email) {
		if _, off := f.DateTime.Zone(); off != 0 {
			if z := zoneForOffset(off, f.DateTime, organizerZone); z != "" {
				return z
			}
		}
	}
	return organizerZone
}
