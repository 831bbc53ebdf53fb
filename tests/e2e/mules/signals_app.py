"""uWSGI signals for mules (two bare mules; the farm "crunch" is mule 1).
Each handler leaves an empty marker KIND-MULE-PID-SEQUENCE in $MARKERS.
No uwsgidecorators: a message to a bare mule without mule_msg_hook is
only logged."""

import os
import time

import uwsgi

MARKERS = os.environ["MARKERS"]


def handler(kind):
    def handle(num):
        name = "%s-%d-%d-%d" % (kind, uwsgi.mule_id(), os.getpid(), time.monotonic_ns())
        open(os.path.join(MARKERS, name), "w").close()
    return handle


def stuck(num):
    handler("stuck")(num)
    time.sleep(600)


uwsgi.register_signal(17, "mule2", handler("mule2"))
uwsgi.register_signal(18, "farm_crunch", handler("farm"))
uwsgi.register_signal(19, "mules", handler("mules"))
uwsgi.register_signal(20, "mule", handler("any"))
uwsgi.register_signal(21, "mule1", stuck)
uwsgi.register_signal(22, "mules", handler("tick"))
uwsgi.add_timer(22, 1)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    arg = environ.get("QUERY_STRING", "")
    body = "ok"
    if path == "/raise":
        uwsgi.signal(int(arg))
    elif path == "/raw":
        body = repr(uwsgi.mule_msg(arg.encode(), 1))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
