"""Serves bench/results/file10m.bin (10 MiB, written by bench/run) through wsgi.file_wrapper.

Content-Length is set as a framework's file response sets it. A server without
`wsgi.file_wrapper` (Granian) gets PEP 3333's fallback: the file read in the same blocks.
"""

import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "results", "file10m.bin")
BLOCK = 65536


class _Blocks:
    """PEP 3333's fallback for servers without wsgi.file_wrapper; closes the file at the end."""

    def __init__(self, f, block):
        self.f = f
        self.block = block

    def __iter__(self):
        return iter(lambda: self.f.read(self.block), b"")

    def close(self):
        self.f.close()


def application(environ, start_response):
    f = open(PATH, "rb")  # noqa: SIM115 - the server closes it through the wrapper
    size = os.fstat(f.fileno()).st_size
    start_response(
        "200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))]
    )
    wrapper = environ.get("wsgi.file_wrapper")
    return wrapper(f, BLOCK) if wrapper is not None else _Blocks(f, BLOCK)
