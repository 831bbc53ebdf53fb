"""Reads request bodies in the ways that meet a body the client got wrong
(tests/e2e/wsgi/body_faults.rs, limit_post.rs): the app has started reading
when the fault is found. The query string names a marker file, made once
the first part of the body has been read, so the client knows when to send
the bad part."""

import json
import os
import sys


def mark(environ):
    marker = environ.get("QUERY_STRING")
    if marker:
        with open(marker, "w") as f:
            f.write("read")


def application(environ, start_response):
    path = environ["PATH_INFO"]
    # Tests check from the log that a refused request never got here.
    print("body_app: called %s" % path, file=sys.stderr, flush=True)
    body = environ["wsgi.input"]
    if path == "/partial":
        # Reads a little, then the rest: the rest fails.
        first = body.read(5)
        mark(environ)
        rest = body.read()
        data = first + rest
    elif path == "/catch":
        # Catches the failed read and answers 500 of its own: the client's
        # fault must still be answered as such.
        first = body.read(5)
        mark(environ)
        try:
            body.read()
        except OSError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"the app caught it"]
        data = first
    elif path == "/stream":
        # Sends its headers and a first chunk, then reads the body.
        start_response("200 OK", [("Content-Type", "text/plain")])
        return streamed(body)
    else:
        data = body.read()
    answer = json.dumps({"length": len(data), "body": data.decode("latin-1")}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(answer)))])
    return [answer]


def streamed(body):
    yield b"started\n"
    yield b"read %d\n" % len(body.read())
