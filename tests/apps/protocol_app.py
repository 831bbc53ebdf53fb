"""The worker's protocol tests (tests/e2e/worker_protocol.rs): echoes the
environ and body, raises, streams slowly with a logged close(), streams
mebibytes (/big?N)."""

import atexit
import json
import sys
import time

atexit.register(lambda: print("protocol_app: atexit ran", file=sys.stderr, flush=True))


class SlowStream:
    """Yields a chunk every 50 ms; logs when close() is called."""

    def __init__(self, count):
        self.count = count

    def __iter__(self):
        for i in range(self.count):
            time.sleep(0.05)
            yield b"chunk %d\n" % i

    def close(self):
        print("protocol_app: stream closed", file=sys.stderr, flush=True)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/raise":
        raise RuntimeError("protocol_app failure")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return SlowStream(int(environ.get("QUERY_STRING") or "100"))
    if path == "/big":
        mebibytes = int(environ.get("QUERY_STRING") or "1")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (b"x" * (1 << 20) for _ in range(mebibytes))
    if path == "/ignore":
        # Answers without reading the request body.
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not here"]
    if path == "/sleep":
        time.sleep(float(environ.get("QUERY_STRING") or "1"))
    body = environ["wsgi.input"].read()
    env = {k: v for k, v in environ.items() if isinstance(v, str)}
    data = json.dumps({"environ": env, "body": body.decode("latin-1")}).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]
