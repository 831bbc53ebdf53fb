"""Answers with the pid of the worker that served the request (`pid=N`), so
tests can tell workers apart; `/os-environ` lists the names in the worker's
`os.environ` instead, one a line. Standard library only."""

import os


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/os-environ":
        body = "".join(f"{name}\n" for name in sorted(os.environ)).encode()
    else:
        body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
