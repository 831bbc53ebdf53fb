"""POST consume/echo: reads the whole request body and answers with its length and a checksum.

A GET answers 200 too, so the readiness probe works on every app.
"""

import zlib

CHUNK = 16384


def application(environ, start_response):
    stream = environ["wsgi.input"]
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    size = 0
    crc = 0
    while remaining > 0:
        chunk = stream.read(min(CHUNK, remaining))
        if not chunk:
            break
        size += len(chunk)
        crc = zlib.crc32(chunk, crc)
        remaining -= len(chunk)
    body = f"{size} {crc:08x}\n".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
