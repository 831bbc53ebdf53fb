"""For the fault tests. `GET /big?mb=N` streams N MiB in 64 KiB chunks;
`GET /noise?kib=N` writes N KiB to `wsgi.errors` (the log) before answering;
anything else answers `ok pid=N`. Standard library only."""

import os
from urllib.parse import parse_qs

CHUNK = b"x" * 65536


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    path = environ.get("PATH_INFO")
    if path == "/big":
        chunks = int(query.get("mb", ["64"])[0]) * 16
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(chunks * len(CHUNK)))])
        return (CHUNK for _ in range(chunks))
    if path == "/noise":
        environ["wsgi.errors"].write("noise " * (int(query.get("kib", ["1"])[0]) * 1024 // 6) + "\n")
    body = f"ok pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
