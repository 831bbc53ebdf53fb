"""Mule 3's script: writes a marker for each message, dispatches pickled
@mulefunc calls from the shared queue, and returns on b"quit"."""

import json
import os

import uwsgi
import uwsgidecorators

MARKERS = os.environ["MARKERS"]

while True:
    message = uwsgi.mule_get_msg(timeout=1)
    if not message:
        continue
    if message == b"quit":
        break
    if message[:1] == b"\x80":
        uwsgidecorators.mule_msg_dispatcher(message)
        continue
    path = os.path.join(MARKERS, "script-" + message.decode())
    with open(path + ".tmp", "w") as f:
        json.dump({"mule": uwsgi.mule_id(), "pid": os.getpid()}, f)
    os.rename(path + ".tmp", path)
