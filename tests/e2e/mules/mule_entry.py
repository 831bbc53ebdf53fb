"""Mule 5 (`mule = mule_entry:main`): main() is called once the mule
started; it leaves a marker, then waits for messages (its own and the
shared queue's: a @mulefunc call is dispatched); b"stall" sets a user
harakiri of 1 s and hangs."""

import json
import os
import time

import uwsgi
import uwsgidecorators


def main():
    path = os.path.join(os.environ["MARKERS"], "entry")
    with open(path + ".tmp", "w") as f:
        json.dump({"mule": uwsgi.mule_id(), "pid": os.getpid()}, f)
    os.rename(path + ".tmp", path)
    while True:
        message = uwsgi.mule_get_msg(farms=False)
        if message == b"stall":
            uwsgi.set_user_harakiri(1)
            time.sleep(600)
        elif message[:1] == b"\x80":
            uwsgidecorators.mule_msg_dispatcher(message)
