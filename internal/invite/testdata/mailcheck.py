"""Reads e-mails with Python's email package (policy.default, the strict
modern parser) and prints what it understood as one JSON object: {file:
{subject, from, reply_to, to, message_id, parts: [[content type, params,
filename]], calendar: the text/calendar part decoded, attachment: the .ics
attachment decoded, defects: [...]}}.

Usage: python3 mailcheck.py FILE...
"""

import email
import json
import sys
from email import policy


def check(path):
    msg = email.message_from_bytes(open(path, "rb").read(), policy=policy.default)
    res = {
        "subject": str(msg["Subject"]),
        "from": str(msg["From"]),
        "reply_to": str(msg["Reply-To"]),
        "to": str(msg["To"]),
        "message_id": str(msg["Message-ID"]),
        "parts": [],
        "calendar": "",
        "attachment": "",
        "defects": [repr(d) for d in msg.defects],
    }
    for part in msg.walk():
        params = dict(part["Content-Type"].params) if part["Content-Type"] else {}
        params.pop("boundary", None)
        res["parts"].append([part.get_content_type(), params, part.get_filename() or ""])
        res["defects"] += [repr(d) for d in part.defects]
        if part.get_content_type() == "text/calendar":
            res["calendar"] = part.get_content()
        elif part.get_filename():
            res["attachment"] = part.get_payload(decode=True).decode("utf-8")
    return res


json.dump({p: check(p) for p in sys.argv[1:]}, sys.stdout)
