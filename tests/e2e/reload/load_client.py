"""Keeps N keep-alive clients busy until the file STOP exists, then prints
JSON: requests answered, failures (every exception and non-200 counts, and
nothing is retried), reconnections, worker pids seen.

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

port, stop, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
result = {"ok": 0, "failures": [], "reconnects": 0, "pids": set()}


def client(seed):
    rnd = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    first = True
    while not os.path.exists(stop):
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
