"""Expands recurrence rules with python-dateutil, for compare_test.go.

Reads one JSON case per line on standard input:
  {"id": 7, "rule": "FREQ=...", "dtstart": "YYYYMMDDTHHMMSS", "tz": "Europe/Paris" or "",
   "bound": "YYYYMMDDTHHMMSS" (wall clock, exclusive), "max": 2000}
and prints one JSON line per case:
  {"id": 7, "status": "ok" | "truncated" | "timeout" | "error: ...", "out": [...]}
where out holds Unix seconds for zoned rules and wall clock strings for
floating ones. Zones are zoneinfo's (PEP 495): a wall time in a gap takes
the offset before it and an ambiguous one the first occurrence, as RFC 5545
section 3.3.5 says, so the comparison tests the rules, not the zones.
"""
import json
import signal
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, on_alarm)
FMT = "%Y%m%dT%H%M%S"

for line in sys.stdin:
    case = json.loads(line)
    tz = ZoneInfo(case["tz"]) if case["tz"] else None
    start = datetime.strptime(case["dtstart"], FMT).replace(tzinfo=tz)
    bound = datetime.strptime(case["bound"], FMT)
    out = []
    status = "ok"
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        for dt in rrulestr(case["rule"], dtstart=start):
            if dt.replace(tzinfo=None) >= bound:
                break
            out.append(int(dt.timestamp()) if tz else dt.strftime(FMT))
            if len(out) >= case["max"]:
                status = "truncated"
                break
    except Timeout:
        status = "timeout"
    except Exception as e:  # reported, and the Go test fails on it
        status = "error: " + repr(e)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps({"id": case["id"], "status": status, "out": out}), flush=False)
