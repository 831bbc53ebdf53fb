"""Keeps N keep-alive clients busy until the file STOP exists and at least
MIN_OK (60) requests were answered in all (or 30 s more have passed: a
server that stopped answering ends the run with its failures), then prints
JSON: requests answered, failures (every exception and non-200 counts, and
nothing is retried), reconnections, worker pids seen. The minimum keeps a
quick reload on a loaded machine from ending the run before the load has
meant anything.

Usage: load_client.py PORT STOP N. Each client thread holds one
http.client connection (keep-alive) and loops over requests to
slow_app.py: half sleep 0-2 s on the server, half are fast. http.client
reconnects only when the previous response said `Connection: close`, so a
connection the server closes or resets under a request is a failure."""

import http.client
import json
import os
import random
import sys
import threading
import time

port, stop, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
result = {"ok": 0, "failures": [], "reconnects": 0, "pids": set()}
MIN_OK = 60
stop_seen = []


def stopping():
    """The stop file exists, and enough was answered or waited for."""
    if not os.path.exists(stop):
        return False
    if not stop_seen:
        stop_seen.append(time.monotonic())
    with lock:
        answered = result["ok"]
    return answered >= MIN_OK or time.monotonic() - stop_seen[0] > 30


def client(seed):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    first = True
    while not stopping():
        seconds = rnd.uniform(0, 2) if rnd.random() < 0.5 else 0
        reconnect = conn.sock is None and not first
        first = False
        try:
            conn.request("GET", "/?s=%.3f" % seconds)
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                raise RuntimeError("status %d: %r" % (resp.status, body[:200]))
            pid = json.loads(body)["pid"]
            with lock:
                result["ok"] += 1
                result["reconnects"] += reconnect
                result["pids"].add(pid)
        except Exception as exc:  # every failure counts; no retry
            with lock:
                result["failures"].append("%s: %r" % (type(exc).__name__, exc))
            conn.close()
    conn.close()


threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
result["pids"] = sorted(result["pids"])
print(json.dumps(result))
