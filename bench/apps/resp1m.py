"""A 1 MiB response built once at import: each request costs the server, not the app."""

BODY = bytes(range(256)) * 4096
HEADERS = [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
