"""The spooler test app: tasks record what they saw as JSON files in
$OUT (one file per run, written whole), so a test can count the runs."""

import json
import os
import time

import uwsgi
from uwsgidecorators import signal, spool, spoolforever, spoolraw

OUT = os.environ["OUT"]

# A test can hold the spooler processes back at import: `hold-spooler` next
# to $OUT makes them wait for `go-spooler` there.
GATE = os.path.dirname(OUT)
if uwsgi.i_am_the_spooler() and os.path.exists(os.path.join(GATE, "hold-spooler")):
    until = time.monotonic() + 60
    while not os.path.exists(os.path.join(GATE, "go-spooler")) and time.monotonic() < until:
        time.sleep(0.01)


def record(name, data):
    data = dict(data, pid=os.getpid(), cwd=os.getcwd(), at=time.time(),
                spooler=bool(uwsgi.i_am_the_spooler()))
    tmp = os.path.join(OUT, ".%s.tmp" % name)
    with open(tmp, "w") as f:
        json.dump(data, f)
    os.rename(tmp, os.path.join(OUT, name))


def attempts(name):
    """How many times this task started (counted in a file)."""
    path = os.path.join(OUT, "attempts-" + name)
    n = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as f:
        f.write(str(n))
    return n


@spool
def job(args):
    if os.path.exists(os.path.join(OUT, "job-" + args["id"])):
        record("dup-%s-%d" % (args["id"], os.getpid()), {})
    record("job-" + args["id"], {"args": args})


@spool(pass_arguments=True)
def job_args(a, b=None):
    try:
        uwsgi.lock()
        lock = "taken"
    except ValueError as e:
        lock = str(e)
    record("args-" + a, {"a": a, "b": b, "lock": lock})


@spool
def flaky(args):
    n = attempts(args["id"])
    if n == 1:
        raise RuntimeError("flaky task fails once")
    record("flaky-" + args["id"], {"attempts": n})


@spoolraw
def raw(args):
    n = attempts(args["id"])
    if n == 1:
        return uwsgi.SPOOL_RETRY
    record("raw-" + args["id"], {"attempts": n})
    return uwsgi.SPOOL_OK


@spoolforever
def forever(args):
    n = attempts(args["id"])
    record("forever-%s-%d" % (args["id"], n), {})


@spool
def slow(args):
    """Sleeps the first time (harakiri kills it), not after."""
    n = attempts(args["id"])
    if n == 1:
        record("slow-started-" + args["id"], {})
        time.sleep(float(args["secs"]))
    record("slow-" + args["id"], {"attempts": n})


@signal(17, target="spooler")
def in_the_spooler(signum):
    record("signal-%d" % signum, {})


def info():
    return {
        "pid": uwsgi.spooler_pid(),
        "pids": uwsgi.spooler_pids(),
        "jobs": [j.decode() for j in uwsgi.spooler_jobs()],
        "spoolers": [s.decode() for s in getattr(uwsgi, "spoolers", ())],
    }


def errors():
    out = {}
    for name, call in [
        ("str_keys", lambda: uwsgi.spool({"a": "b"})),
        ("kwargs", lambda: uwsgi.spool(a=b"b")),
        ("int_value", lambda: uwsgi.spool({b"a": 1})),
        ("bytearray_value", lambda: uwsgi.spool(
            {b"ud_spool_func": b"job", b"ud_spool_ret": b"-2",
             b"id": bytearray(b"frombytearray")}).startswith(b"/")),
        ("not_a_dict", lambda: uwsgi.spool([1])),
        ("unknown_spooler", lambda: uwsgi.spool({b"spooler": b"/nowhere"})),
    ]:
        try:
            out[name] = repr(call())
        except ValueError as e:
            out[name] = str(e)
    return out


def raw_spool(query):
    """uwsgi.spool itself: one task with a body that runs, one for later
    read back with spooler_get_task, and the dict uWSGI leaves behind."""
    d = {b"ud_spool_func": b"job", b"id": query.encode(), b"ud_spool_ret": b"-2",
         b"body": b"the body"}
    uwsgi.spool(d)
    later = {b"ud_spool_func": b"job", b"id": b"later", b"ud_spool_ret": b"-2",
             b"at": str(time.time() + 3600).encode(), b"body": b"\x00\xff"}
    path = uwsgi.spool(later)
    task = uwsgi.spooler_get_task(path.decode())
    return {"path": path.decode(), "left": sorted(k.decode() for k in d),
            "jobs": [j.decode() for j in uwsgi.spooler_jobs()],
            "task": {k if isinstance(k, str) else k.decode(): v.decode("latin-1")
                     for k, v in task.items()}}


def ignored(query):
    """A task whose function answers SPOOL_IGNORE (0)."""
    return uwsgi.spool({b"ud_spool_func": b"job", b"id": query.encode(),
                        b"ud_spool_ret": b"0"}).decode()


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = environ.get("QUERY_STRING", "")
    if path == "/job":
        body = job.spool(id=query).decode()
    elif path == "/job_args":
        body = job_args(query, b="bee").decode()
    elif path == "/flaky":
        body = flaky.spool(id=query).decode()
    elif path == "/raw":
        body = raw.spool(id=query).decode()
    elif path == "/forever":
        body = forever.spool(id=query).decode()
    elif path == "/slow":
        name, secs = query.split(",")
        body = slow.spool(id=name, secs=secs).decode()
    elif path == "/at":
        body = job.spool(id=query, at=str(time.time() + 3)).decode()
    elif path == "/priority":
        name, priority = query.split(",")
        body = job.spool(id=name, priority=priority).decode()
    elif path == "/ignore":
        body = ignored(query)
    elif path == "/raw_spool":
        body = raw_spool(query)
    elif path == "/info":
        body = info()
    elif path == "/errors":
        body = errors()
    elif path == "/signal":
        uwsgi.signal(int(query))
        body = True
    elif path == "/frequency":
        body = uwsgi.set_spooler_frequency(int(query))
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
