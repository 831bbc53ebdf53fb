"""Messages to mules: mules 1 and 2 are bare (mule 2, in the farm
"crunch", loops in @farm), mule 3 runs mule_script.py, mule 4 is bare
with @mulemsg(4), mule 5 runs mule_entry:main.
Each mule writes a JSON marker file into $MARKERS."""

import json
import os

import uwsgi
import uwsgidecorators
from uwsgidecorators import farm, mule, mulefunc, mulemsg

MARKERS = os.environ["MARKERS"]


def mark(name, **fields):
    fields.update(mule=uwsgi.mule_id(), pid=os.getpid())
    path = os.path.join(MARKERS, name)
    with open(path + ".tmp", "w") as f:
        json.dump(fields, f)
    os.rename(path + ".tmp", path)


@mulefunc(1)
def on_mule_one(name):
    mark(name)


@mulefunc("crunch")
def on_farm(name):
    mark(name, in_farm=uwsgi.in_farm(), in_crunch=uwsgi.in_farm("crunch"),
         in_other=uwsgi.in_farm("other"))


@mulefunc
def anywhere(name):
    mark(name)


@mule(1)
def brain():
    mark("brain")


@farm("crunch")
def on_farm_message(message):
    # Mule 2 waits here (farm_get_msg) rather than in its bare loop.
    if message[:1] == b"\x80":
        uwsgidecorators.mule_msg_dispatcher(message)
    else:
        mark("farm-" + message.decode())


@mulemsg(4)
def on_message(message):
    # Mule 4 reads the shared queue too: a @mulefunc call may land here.
    if message[:1] == b"\x80":
        uwsgidecorators.mule_msg_dispatcher(message)
    else:
        mark("mulemsg-" + message.decode())


def errors():
    out = {}
    calls = [
        ("mule 9", lambda: uwsgi.mule_msg(b"x", 9)),
        ("farm nope", lambda: uwsgi.mule_msg(b"x", "nope")),
        ("float", lambda: uwsgi.mule_msg(b"x", 1.5)),
        ("get in a worker", lambda: uwsgi.mule_get_msg()),
        ("farm get in a worker", lambda: uwsgi.farm_get_msg()),
    ]
    for name, call in calls:
        try:
            out[name] = repr(call())
        except Exception as e:
            out[name] = "%s: %s" % (type(e).__name__, e)
    out["in_farm in a worker"] = repr(uwsgi.in_farm())
    out["farm_msg to no farm"] = repr(uwsgi.farm_msg("nope", b"x"))
    return json.dumps(out)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    arg = environ.get("QUERY_STRING", "")
    body = "sent"
    if path == "/one":
        on_mule_one(arg)
    elif path == "/farm":
        on_farm(arg)
    elif path == "/any":
        anywhere(arg)
    elif path == "/raw":
        target, text = arg.split("-", 1)
        body = repr(uwsgi.mule_msg(text.encode(), int(target)))
    elif path == "/farm_msg":
        body = repr(uwsgi.farm_msg("crunch", arg))
    elif path == "/errors":
        body = errors()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
