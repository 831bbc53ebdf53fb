"""`/crash` segfaults the worker (a NULL read through ctypes, as a broken C
extension would) inside a Python function, so faulthandler has a frame to
print; `/exit` ends it with os._exit(3); anything else answers the pid."""

import ctypes
import os


def crash_in_c_extension():
    ctypes.string_at(0)


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/crash":
        crash_in_c_extension()
    if path == "/exit":
        os._exit(3)
    payload = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))])
    return [payload]
