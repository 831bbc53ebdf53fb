"""`GET /?mark=PATH&s=SECONDS`: creates the file PATH as the request starts,
sleeps SECONDS, then answers `done pid=N`. The marker lets a test know a
request is in flight (to stop the server under it) without guessing with
sleeps. Standard library only."""

import os
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    mark = query.get("mark", [None])[0]
    if mark:
        with open(mark, "w") as f:
            f.write(str(os.getpid()))
    time.sleep(float(query.get("s", ["0"])[0]))
    body = f"done pid={os.getpid()}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
