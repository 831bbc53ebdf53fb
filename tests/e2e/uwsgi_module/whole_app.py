"""Issue 15's app: the uwsgi module and uwsgidecorators together, as a
project uses them. Each event leaves a marker file KIND-WORKER_ID-PID-SEQ
in $MARKERS (a mule's or a spooler's WORKER_ID is 0); the timer's and the
spooled task's markers hold a time or an argument."""

import itertools
import json
import os
import time

import uwsgi
import uwsgidecorators

MARKERS = os.environ["MARKERS"]
_seq = itertools.count()


def mark(kind, text=""):
    name = "%s-%d-%d-%d" % (kind, uwsgi.worker_id(), os.getpid(), next(_seq))
    with open(os.path.join(MARKERS, name), "w") as f:
        f.write(text)


@uwsgidecorators.postfork
def reconnect():
    # What a Django project does here: reconnect its database. In a worker
    # it also leaves its pid in the shared cache for the other workers.
    mark("postfork", str(uwsgi.mule_id()))
    if uwsgi.worker_id():
        uwsgi.cache_set("worker%d" % uwsgi.worker_id(), str(os.getpid()), 0, "shared")


@uwsgidecorators.timer(1)
def every_second(signum):
    mark("timer", repr(time.time()))


@uwsgidecorators.cron(-1, -1, -1, -1, -1)
def every_minute(signum):
    mark("cron")


@uwsgidecorators.spool(pass_arguments=True)
def send_mail(to, subject=""):
    mark("spooled", "%s %s" % (to, subject))


@uwsgidecorators.mulefunc
def in_a_mule(text):
    mark("mule", "%s %d" % (text, uwsgi.mule_id()))


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/spool":
        send_mail("alice@example.com", subject="welcome")
    elif path == "/mule":
        in_a_mule("hello")
    elif path == "/reload":
        uwsgi.reload()
    body = {
        "worker": uwsgi.worker_id(),
        "pid": os.getpid(),
        "cache": {
            key: (uwsgi.cache_get(key, "shared") or b"").decode()
            for key in ("worker1", "worker2")
        },
    }
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
