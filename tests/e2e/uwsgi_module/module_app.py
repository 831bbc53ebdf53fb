"""The uwsgi module e2e app: imports uwsgi and uwsgidecorators, leaves a
marker file per event in $MARKERS (import, postfork, atexit), and answers
JSON about what the module says."""

import json
import os
import time

import uwsgi
from uwsgidecorators import lock, postfork

MARKERS = os.environ.get("MARKERS", "")


def mark(name):
    if MARKERS:
        with open(os.path.join(MARKERS, name), "w") as f:
            f.write(str(os.getpid()))


# 0 in the zygote; the worker's id when a lazy-apps worker imports the app.
mark("import-%d-%d" % (uwsgi.worker_id(), os.getpid()))


@postfork
def after_fork():
    mark("postfork-%d-%d" % (uwsgi.worker_id(), os.getpid()))


def at_exit():
    mark("atexit-%d-%d" % (uwsgi.worker_id(), os.getpid()))


uwsgi.atexit = at_exit


@lock
def locked_increment(path):
    # Read, wait, write: without mutual exclusion across workers, updates
    # get lost.
    with open(path) as f:
        n = int(f.read() or "0")
    time.sleep(0.005)
    with open(path, "w") as f:
        f.write(str(n + 1))


def facts():
    workers = uwsgi.workers()
    return {
        "pid": os.getpid(),
        "worker_id": uwsgi.worker_id(),
        "masterpid": uwsgi.masterpid(),
        "numproc": uwsgi.numproc,
        "mule_id": uwsgi.mule_id(),
        "version": repr(uwsgi.version),
        "version_info": repr(uwsgi.version_info),
        "hostname_is_bytes": isinstance(uwsgi.hostname, bytes),
        "buffer_size": uwsgi.buffer_size,
        "started_on": uwsgi.started_on,
        "total_requests": uwsgi.total_requests(),
        "request_id": uwsgi.request_id(),
        "workers": [
            {"id": w["id"], "pid": w["pid"], "status": repr(w["status"]),
             "requests": w["requests"], "apps": len(w["apps"])}
            for w in workers
        ],
        "worker_keys": sorted(workers[0].keys()),
        # What sentry-sdk reads.
        "enable-threads": repr(uwsgi.opt.get("enable-threads")),
        "lazy-apps": repr(uwsgi.opt.get("lazy-apps")),
        "master": repr(uwsgi.opt.get("master")),
        "opt_keys_are_str": all(isinstance(k, str) for k in uwsgi.opt),
    }


def locks():
    out = {"before": uwsgi.is_locked(1)}
    uwsgi.lock(1)
    out["held"] = uwsgi.is_locked(1)
    uwsgi.unlock(1)
    out["after"] = uwsgi.is_locked(1)
    uwsgi.lock(2)
    uwsgi.unlock(2)
    try:
        uwsgi.lock(3)
        out["lock3"] = "taken"
    except ValueError as e:
        out["lock3"] = str(e)
    return out


def unsupported():
    out = {}
    try:
        uwsgi.register_rpc("name", print)
    except uwsgi.UnsupportedError as e:
        out["register_rpc"] = str(e)
        out["is_not_implemented"] = isinstance(e, NotImplementedError)
    import uwsgidecorators
    for name, apply in [
        ("rpc", lambda: uwsgidecorators.rpc("name")(print)),
        ("erlang", lambda: uwsgidecorators.erlang("name")(print)),
    ]:
        try:
            apply()
            out[name] = "applied"
        except uwsgi.UnsupportedError as e:
            out[name] = str(e)
    return out


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/facts":
        body = facts()
    elif path == "/opt":
        body = repr(uwsgi.opt)
    elif path == "/increment":
        locked_increment(environ["HTTP_X_COUNTER"])
        body = {"pid": os.getpid()}
    elif path == "/locks":
        body = locks()
    elif path == "/unsupported":
        body = unsupported()
    elif path == "/logvar":
        uwsgi.set_logvar("who", environ.get("QUERY_STRING", ""))
        body = {"get": repr(uwsgi.get_logvar("who")),
                "unset": repr(uwsgi.get_logvar("nobody"))}
        if "force" in environ.get("QUERY_STRING", ""):
            uwsgi.log_this_request()
    elif path == "/log":
        body = {"log": uwsgi.log("a line from the app")}
    elif path == "/reload":
        body = {"reload": uwsgi.reload()}
    else:
        body = {"pid": os.getpid()}
    text = body if isinstance(body, str) else json.dumps(body)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [text.encode()]
