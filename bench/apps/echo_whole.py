"""Echo: reads the whole request body in one call and returns it as one bytes object.

wrk POSTs 64 KiB (echo64k) or 1 MiB (echo1m) bodies, so the body crosses the server both ways.
A GET answers 200 with an empty body, so the readiness probe works on every app.
"""


def application(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response(
        "200 OK",
        [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))],
    )
    return [body]
