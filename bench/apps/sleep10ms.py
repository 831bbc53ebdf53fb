"""I/O-bound: each request waits 10 ms (a database or an API call), then answers briefly.

One thread serves at most 100 requests a second, so req/s shows how many requests the server
keeps waiting at once (threads × processes).
"""

import time

BODY = b"slept 10 ms\n"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    time.sleep(0.01)
    start_response("200 OK", HEADERS)
    return [BODY]
