"""sentry_sdk.init() at import, as a Django or Flask settings module does;
the app answers with the warnings it gave, as JSON."""
import json
import warnings

import sentry_sdk

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    # An HTTP transport is what makes sentry-sdk look at uwsgi.opt; nothing
    # is sent: no event is captured, and port 9 of the loopback discards.
    sentry_sdk.init(dsn="http://public@127.0.0.1:9/1")
WARNINGS = [str(w.message) for w in caught]


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(WARNINGS).encode()]
