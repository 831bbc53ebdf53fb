"""The signals test app: a timer, handlers for each target, a failing
handler, a red-black timer, a cron, a file monitor, and handlers for the
ini's `timer` and `touch-signal`. Every handled signal leaves a marker file
KIND-WORKER_ID-PID-SEQUENCE in $MARKERS."""

import itertools
import json
import os
import threading
import time

import uwsgi
import uwsgidecorators

MARKERS = os.environ["MARKERS"]
_seq = itertools.count()


def mark(kind):
    name = "%s-%d-%d-%d" % (kind, uwsgi.worker_id(), os.getpid(), next(_seq))
    open(os.path.join(MARKERS, name), "w").close()


@uwsgidecorators.timer(1)
def tick(signum):
    mark("tick")


@uwsgidecorators.signal(40)
def one(signum):
    mark("one")


@uwsgidecorators.signal(41, target="workers")
def each(signum):
    mark("each")


@uwsgidecorators.signal(44, target="worker2")
def second(signum):
    mark("second")


@uwsgidecorators.signal(42)
def broken(signum):
    raise RuntimeError("a failing handler")


@uwsgidecorators.signal(43, target="workers")
def waited(signum):
    pass


@uwsgidecorators.signal(50)
def from_ini(signum):
    mark("ini")


@uwsgidecorators.signal(51)
def touched(signum):
    mark("touch")


@uwsgidecorators.cron(-1, -1, -1, -1, -1)
def every_minute(signum):
    mark("cron")


@uwsgidecorators.filemon(os.path.join(MARKERS, "..", "watched"))
def watched(signum):
    mark("filemon")


RB_SIGNAL = uwsgidecorators.get_free_signal()
uwsgi.register_signal(RB_SIGNAL, "", lambda signum: mark("rb"))
uwsgi.add_rb_timer(RB_SIGNAL, 1, 3)


def wait_for_43():
    """signal_wait(43) while another thread raises 43 until it returns."""
    done = threading.Event()

    def raiser():
        while not done.is_set():
            uwsgi.signal(43)
            time.sleep(0.2)

    threading.Thread(target=raiser, daemon=True).start()
    try:
        got = uwsgi.signal_wait(43)
    finally:
        done.set()
    return {"returned": repr(got), "received": uwsgi.signal_received()}


def registered():
    out = {str(n): repr(uwsgi.signal_registered(n)) for n in (0, 40, 99)}
    for target in ("mule", "spooler", "nowhere"):
        try:
            uwsgi.register_signal(99, target, print)
            out[target] = "registered"
        except Exception as e:
            out[target] = "%s: %s" % (type(e).__name__, e)
    return out


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/raise":
        uwsgi.signal(int(environ["QUERY_STRING"]))
        body = {"raised": True}
    elif path == "/registered":
        body = registered()
    elif path == "/wait":
        body = wait_for_43()
    elif path == "/counts":
        body = [w["signals"] for w in uwsgi.workers()]
    elif path == "/reload":
        body = {"reload": uwsgi.reload()}
    else:
        body = {"worker": uwsgi.worker_id(), "pid": os.getpid()}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
