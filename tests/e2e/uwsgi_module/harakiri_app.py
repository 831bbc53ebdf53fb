"""`@harakiri` and `uwsgi.set_user_harakiri` (no `harakiri` option set):
`/slow` runs a 1 s-harakiri function for 30 s, `/quick` runs it briefly and
then sleeps past its second (the timer was cleared), `/set` sets the timer
by hand and sleeps past it, `/` answers the worker's pid."""

import os
import time

import uwsgi
from uwsgidecorators import harakiri


@harakiri(1)
def bounded(seconds):
    time.sleep(seconds)
    return b"done"


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/slow":
        body = bounded(30)
    elif path == "/quick":
        body = bounded(0)
        time.sleep(2.5)
    elif path == "/set":
        uwsgi.set_user_harakiri(1)
        time.sleep(30)
        body = b"survived"
    else:
        body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Length", str(len(body)))])
    return [body]
