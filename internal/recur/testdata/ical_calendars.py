"""Expands calendars with python-recurring-ical-events, for compare_test.go.

Reads one JSON case per line on standard input:
  {"id": 3, "ics": "BEGIN:VCALENDAR...", "from": 1767225600, "to": 1767830400}
(Unix seconds) and prints one JSON line per case:
  {"id": 3, "status": "ok" | "error: ...", "out": [{"uid", "start", "end", "summary"}]}
where start and end are Unix seconds for zoned values, "W" + wall clock for
floating ones and "D" + date for dates. Cancelled instances are left out,
as Convene leaves them out by default.
"""
import json
import sys
from datetime import date, datetime, timezone

import icalendar
import recurring_ical_events


def encode(v):
    if isinstance(v, datetime):
        if v.tzinfo is None:
            return "W" + v.strftime("%Y%m%dT%H%M%S")
        return int(v.timestamp())
    if isinstance(v, date):
        return "D" + v.strftime("%Y%m%d")
    raise TypeError(repr(v))


for line in sys.stdin:
    case = json.loads(line)
    out = []
    status = "ok"
    try:
        cal = icalendar.Calendar.from_ical(case["ics"])
        start = datetime.fromtimestamp(case["from"], timezone.utc)
        stop = datetime.fromtimestamp(case["to"], timezone.utc)
        for ev in recurring_ical_events.of(cal).between(start, stop):
            if str(ev.get("STATUS", "")).upper() == "CANCELLED":
                continue
            out.append({
                "uid": str(ev.get("UID", "")),
                "start": encode(ev["DTSTART"].dt),
                "end": encode(ev["DTEND"].dt),
                "summary": str(ev.get("SUMMARY", "")),
            })
    except Exception as e:  # reported, and the Go test fails on it
        status = "error: " + repr(e)
    print(json.dumps({"id": case["id"], "status": status, "out": out}))
