"""Mule 5 (`mule = mule_entry:main`): main() is called once the mule
started; it leaves a marker, then waits for messages."""

import json
import os

import uwsgi


def main():
    path = os.path.join(os.environ["MARKERS"], "entry")
    with open(path + ".tmp", "w") as f:
        json.dump({"mule": uwsgi.mule_id(), "pid": os.getpid()}, f)
    os.rename(path + ".tmp", path)
    while True:
        uwsgi.mule_get_msg(farms=False)
