"""Imports at once, unless the test holds this import back: each import
(per worker id, counted across generations) claims `import-ID-N` in
`$GATE_DIR`; when `hold-ID-N` exists there, the import waits for `go-ID-N`.
Lets a test decide the order in which the workers of two generations finish
importing. Then answers like pid_app."""

import os
import time

import uwsgi

GATE = os.environ["GATE_DIR"]
ID = uwsgi.worker_id()


def claim():
    n = 1
    while True:
        try:
            os.close(os.open(f"{GATE}/import-{ID}-{n}", os.O_CREAT | os.O_EXCL))
            return n
        except FileExistsError:
            n += 1


N = claim()
if os.path.exists(f"{GATE}/hold-{ID}-{N}"):
    deadline = time.monotonic() + 60
    while not os.path.exists(f"{GATE}/go-{ID}-{N}") and time.monotonic() < deadline:
        time.sleep(0.005)


def application(environ, start_response):
    body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
