"""Sleeps ?s=SECONDS (default 0), then answers JSON with the worker's pid and
when the request started and ended (time.time()), so tests can tell whether
requests ran in parallel from the intervals rather than from wall clocks."""

import json
import os
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    seconds = float(query.get("s", ["0"])[0])
    started = time.time()
    time.sleep(seconds)
    payload = json.dumps({"pid": os.getpid(), "start": started, "end": time.time()}).encode()
    start_response("200 OK", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
    ])
    return [payload]
