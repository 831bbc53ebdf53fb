"""Large request and response bodies (tests/e2e/wsgi/bodies.rs): echoes,
pieces, responses built whole, written, or sent from a file."""

import hashlib
import os


def _pattern(size):
    # Bytes that differ from one position to the next, so a chunk sent twice
    # or out of order changes the digest.
    unit = bytes(range(251))
    return (unit * (size // len(unit) + 1))[:size]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = environ.get("QUERY_STRING", "")
    body = environ["wsgi.input"]
    if path == "/echo":
        # The whole body in one call, answered as one bytes object.
        data = body.read()
    elif path == "/pieces":
        # Odd-sized reads, then what is left.
        parts = []
        while True:
            part = body.read(7001)
            if not part:
                break
            parts.append(part)
        data = b"".join(parts)
    elif path == "/refuse":
        # Answers without reading the body at all.
        start_response("401 Unauthorized", [("Content-Length", "0")])
        return [b""]
    elif path == "/built":
        data = _pattern(int(query))
    elif path == "/written":
        size = int(query)
        data = _pattern(size)
        write = start_response("200 OK", [("Content-Length", str(size)),
                                          ("X-Sha256", hashlib.sha256(data).hexdigest())])
        for at in range(0, size, 300000):
            write(data[at:at + 300000])
        return []
    elif path == "/file":
        # The query names the file.
        f = open(query, "rb")
        size = os.fstat(f.fileno()).st_size
        start_response("200 OK", [("Content-Length", str(size))])
        return environ["wsgi.file_wrapper"](f, 65536)
    else:
        data = b"ok"
    start_response("200 OK", [("Content-Length", str(len(data))),
                              ("X-Sha256", hashlib.sha256(data).hexdigest())])
    return [data]
