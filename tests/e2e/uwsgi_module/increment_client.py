"""Sends N GET /increment requests from T threads to 127.0.0.1:PORT, each
naming the counter file; prints the pids that served them as JSON."""

import http.client
import json
import sys
import threading

port, counter, total, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pids, errors = set(), []
lock = threading.Lock()


def run(n):
    for _ in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", "/increment", headers={"X-Counter": counter})
            response = conn.getresponse()
            body = json.loads(response.read())
            with lock:
                pids.add(body["pid"])
        except Exception as e:  # reported to the test
            with lock:
                errors.append(repr(e))
        finally:
            conn.close()


workers = [threading.Thread(target=run, args=(total // threads,)) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
print(json.dumps({"pids": sorted(pids), "errors": errors}))
