"""An app that cannot be imported: the server must log the traceback and
report the failure (uWSGI's exit code 22), not serve."""

import uwsgid_no_such_module_for_tests  # noqa: F401


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"unreachable"]
