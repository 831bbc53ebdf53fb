"""Answers with the pid of the worker that served the request (`pid=N`), so
tests can tell workers apart. Standard library only."""

import os


def application(environ, start_response):
    body = f"pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
