"""An app that fails on demand.

  /raise          raises before start_response
  /raise-in-iter  starts a response, then raises while producing the body
  anything else   200 with the worker's pid
"""

import os


class Boom(RuntimeError):
    pass


def failing_body():
    yield b"first part\n"
    raise Boom("uwsgid-test-boom-in-iter")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/raise":
        raise Boom("uwsgid-test-boom")
    if path == "/raise-in-iter":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return failing_body()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]
