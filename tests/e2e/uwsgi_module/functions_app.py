"""Lists the uwsgi module's functions: {name: provided}, where a function
uwsgid does not provide says so in its docstring."""

import json
import uwsgi

def application(environ, start_response):
    out = {}
    for name in sorted(dir(uwsgi)):
        value = getattr(uwsgi, name)
        if name.startswith("_") or isinstance(value, type) or not callable(value):
            continue
        out[name] = not (value.__doc__ or "").startswith("Not supported by uwsgid")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(out).encode()]
