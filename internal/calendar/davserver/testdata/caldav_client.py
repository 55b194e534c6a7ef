"""Drives Convene's CalDAV server with python3-caldav (Debian's), the way a
script or a desktop client would: discover, list, create, update with an
ETag, delete, time-range query (plain and expanded), sync-collection.

Usage: caldav_client.py URL USER TOKEN. Prints one line per step; exits
non-zero with the reason on the first failure."""
import sys
from datetime import datetime, timezone

import caldav
from caldav.elements import dav

url, user, token = sys.argv[1:4]


def step(msg):
    print("ok:", msg, flush=True)


def event(uid, start, end, summary, extra=""):
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//python-caldav interop//EN\r\n"
        "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"
        "SUMMARY:%s\r\n%sEND:VEVENT\r\nEND:VCALENDAR\r\n" % (uid, start, end, summary, extra)
    )


client = caldav.DAVClient(url=url, username=user, password=token)
principal = client.principal()
assert principal.url.path.rstrip("/").endswith(user), principal.url
step("principal " + str(principal.url.path))
cals = principal.calendars()
assert len(cals) == 1, cals
cal = cals[0]
props = cal.get_properties([dav.DisplayName()])
assert props.get(dav.DisplayName.tag) == "Convene", props
step("calendar " + str(cal.url.path))

# The server side imported "imported-1" (weekly) before this script ran.
existing = cal.events()
uids = sorted(str(e.vobject_instance.vevent.uid.value) for e in existing)
assert uids == ["imported-1"], uids
step("list: " + ",".join(uids))

sync = cal.objects_by_sync_token()
token0 = sync.sync_token
assert len(list(sync)) == 1, list(sync)
step("initial sync-collection, token " + token0)

created = cal.save_event(event("py-1", "20260310T090000Z", "20260310T100000Z", "created by python"))
created.load()
assert "created by python" in created.data
step("create " + str(created.url.path))

# Update with the ETag: a conditional PUT, then a stale one that must fail.
resp = client.request(str(created.url), "HEAD")
etag = resp.headers.get("ETag") or resp.headers.get("etag")
assert etag, resp.headers
body = event("py-1", "20260310T090000Z", "20260310T110000Z", "updated with If-Match")
r = client.put(str(created.url), body, {"Content-Type": "text/calendar", "If-Match": etag})
assert r.status in (201, 204), r.status
r = client.put(str(created.url), body, {"Content-Type": "text/calendar", "If-Match": etag})
assert r.status == 412, r.status
created.load()
assert "updated with If-Match" in created.data
step("update with If-Match; a stale ETag gets 412")

# Time range: the week of 2026-03-09 holds the weekly instance and py-1.
found = cal.date_search(datetime(2026, 3, 9, tzinfo=timezone.utc), datetime(2026, 3, 16, tzinfo=timezone.utc), expand=False)
got = sorted(str(e.vobject_instance.vevent.uid.value) for e in found)
assert got == ["imported-1", "py-1"], got
step("time-range query: " + ",".join(got))
found = cal.date_search(datetime(2026, 3, 9, tzinfo=timezone.utc), datetime(2026, 3, 16, tzinfo=timezone.utc), expand=True)
starts = sorted(
    str(e.vobject_instance.vevent.dtstart.value.astimezone(timezone.utc)) for e in found
)
assert "2026-03-10 09:00:00+00:00" in starts and "2026-03-11 08:00:00+00:00" in starts, starts
for e in found:
    assert "RRULE" not in e.data, e.data
step("expanded query: " + ";".join(starts))
none = cal.date_search(datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 2, 1, tzinfo=timezone.utc))
assert list(none) == [], none
step("empty range")

# Sync: what changed since the first token.
second = cal.save_event(event("py-2", "20260312T090000Z", "20260312T100000Z", "second"))
created.delete()
step("delete " + str(created.url.path))
changes = cal.objects_by_sync_token(sync_token=token0, load_objects=True)
paths = sorted(str(o.url.path).rsplit("/", 1)[1] for o in changes)
assert str(second.url.path).rsplit("/", 1)[1] in paths, paths
assert str(created.url.path).rsplit("/", 1)[1] in paths, paths
assert changes.sync_token != token0
step("incremental sync-collection: %d changes, token %s" % (len(paths), changes.sync_token))
again = cal.objects_by_sync_token(sync_token=changes.sync_token)
assert len(list(again)) == 0, list(again)
step("no changes since the new token")
try:
    cal.event_by_url(created.url).load()
    raise AssertionError("the deleted event is still there")
except caldav.lib.error.NotFoundError:
    step("deleted event is gone")
print("done")
