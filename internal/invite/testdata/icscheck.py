"""Reads iCalendar files with python3-icalendar and python3-dateutil, as
calendar software that is not ours does, and prints what it understood as
one JSON object: {file name: result}.

For every date-time of every VEVENT it gives the instant three ways: through
pytz with the TZID as an IANA name (what icalendar itself does), through the
file's own VTIMEZONE converted by icalendar (Timezone.to_tz), and through the
same VTIMEZONE parsed by dateutil.tz.tzical. The Go test compares the three
with the instants it put in.

Usage: python3 icscheck.py FILE...
"""

import datetime
import io
import json
import sys

import dateutil.rrule
import dateutil.tz
import icalendar
import pytz


def utc(dt):
    return dt.astimezone(pytz.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def first(tz, wall):
    """The instant a local time names in a pytz zone, the first of two when
    clocks go back (RFC 5545 section 3.3.5). pytz's localize picks by DST
    flag, which is the second one in zones with negative DST (Dublin), and
    icalendar's own parsing always takes the standard-time one."""
    return min(utc(tz.localize(wall, is_dst=True)), utc(tz.localize(wall, is_dst=False)))


def values(prop):
    """The datetimes of a DTSTART-like or EXDATE-like property."""
    out = []
    for p in prop if isinstance(prop, list) else [prop]:
        if hasattr(p, "dts"):
            out.extend((d.dt, p.params) for d in p.dts)
        else:
            out.append((p.dt, p.params))
    return out


def check(path):
    raw = open(path, "rb").read()
    res = {"errors": []}
    for i, line in enumerate(raw.split(b"\r\n")[:-1]):
        if len(line) > 75:
            res["errors"].append("line %d is %d octets" % (i + 1, len(line)))
        if b"\n" in line or b"\r" in line:
            res["errors"].append("line %d has a bare CR or LF" % (i + 1))
    if not raw.endswith(b"\r\n"):
        res["errors"].append("does not end with CRLF")
    cal = icalendar.Calendar.from_ical(raw)
    res["method"] = str(cal.get("METHOD", ""))
    res["version"] = str(cal.get("VERSION", ""))
    res["prodid"] = str(cal.get("PRODID", ""))
    text = raw.decode("utf-8")
    via_vtz = {}
    res["timezones"] = []
    for comp in cal.walk("VTIMEZONE"):
        tzid = str(comp["TZID"])
        res["timezones"].append(tzid)
        via_vtz[tzid] = comp.to_tz()
    du = dateutil.tz.tzical(io.StringIO(text)) if via_vtz else None
    res["events"] = []
    for ev in cal.walk("VEVENT"):
        e = {
            "uid": str(ev.get("UID")),
            "sequence": int(ev.get("SEQUENCE", 0)),
            "status": str(ev.get("STATUS", "")),
            "summary": str(ev.get("SUMMARY", "")),
            "description": str(ev.get("DESCRIPTION", "")),
            "location": str(ev.get("LOCATION", "")),
            "dtstamp": utc(ev.decoded("DTSTAMP")),
            "organizer": str(ev.get("ORGANIZER", "")),
            "rrule": ev["RRULE"].to_ical().decode() if "RRULE" in ev else "",
            "last": "",
            "range": "",
            "attendees": [],
            "times": {},
        }
        atts = ev.get("ATTENDEE", [])
        for a in atts if isinstance(atts, list) else [atts]:
            e["attendees"].append({
                "address": str(a),
                "cn": str(a.params.get("CN", "")),
                "partstat": str(a.params.get("PARTSTAT", "")),
                "rsvp": str(a.params.get("RSVP", "")),
                "role": str(a.params.get("ROLE", "")),
            })
        if "RECURRENCE-ID" in ev:
            e["range"] = str(ev["RECURRENCE-ID"].params.get("RANGE", ""))
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
            if name not in ev:
                continue
            out = []
            for dt, params in values(ev[name]):
                if not isinstance(dt, datetime.datetime) or dt.tzinfo is None:
                    res["errors"].append("%s %s is not a date-time with a zone" % (e["uid"], name))
                    continue
                tzid = params.get("TZID")
                if tzid is None:
                    u = utc(dt)
                    out.append({"iana": u, "vtimezone": u, "dateutil": u})
                    continue
                if tzid not in via_vtz:
                    res["errors"].append("%s %s: TZID %s has no VTIMEZONE" % (e["uid"], name, tzid))
                    continue
                wall = dt.replace(tzinfo=None)
                out.append({
                    "iana": first(pytz.timezone(tzid), wall),
                    "vtimezone": first(via_vtz[tzid], wall),
                    # dateutil follows PEP 495: fold=0 is the first.
                    "dateutil": utc(wall.replace(tzinfo=du.get(tzid))),
                })
            e["times"][name] = out
        if e["rrule"] and ("UNTIL" in e["rrule"] or "COUNT" in e["rrule"]):
            # The last instance, as dateutil expands the rule from
            # DTSTART in the zone of the file's own VTIMEZONE (pytz zones
            # would keep DTSTART's offset across DST changes).
            start = ev.decoded("DTSTART")
            tzid = ev["DTSTART"].params.get("TZID")
            if tzid is not None:
                start = start.replace(tzinfo=du.get(tzid))
            rule = dateutil.rrule.rrulestr(e["rrule"], dtstart=start)
            last = None
            for n, t in enumerate(rule):
                if n >= 5000:
                    break
                last = t
            if last is not None:
                e["last"] = utc(last)
        res["events"].append(e)
    return res


def main():
    out = {}
    for path in sys.argv[1:]:
        try:
            out[path] = check(path)
        except Exception as exc:  # reported to the Go test, which fails
            out[path] = {"errors": ["%s: %s" % (type(exc).__name__, exc)]}
    json.dump(out, sys.stdout)


main()
