"""Grows on request: `/grow?mb=N` keeps N MiB of written bytes in a module
global (so both the address space and the RSS grow); every answer is JSON
with the worker's pid and its VmSize/VmRSS in bytes (from /proc/self/status).
Standard library only."""

import json
import os
from urllib.parse import parse_qs

KEPT = []


def memory():
    sizes = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmSize", "VmRSS"):
                sizes[name] = int(value.split()[0]) * 1024
    return sizes


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("PATH_INFO") == "/grow":
        mb = int(query.get("mb", ["100"])[0])
        KEPT.append(b"x" * (mb * 1024 * 1024))
    payload = json.dumps({"pid": os.getpid(), **memory()}).encode()
    start_response("200 OK", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
    ])
    return [payload]
