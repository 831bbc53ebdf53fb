"""Tells which Python runs the app: prefixes, executable, where Flask and
Django come from, and whether the module that exists only in the test
virtualenv (uwsgid_venv_probe, copied there by scripts/test) imports."""

import json
import os
import sys


def where(name):
    try:
        module = __import__(name)
    except ImportError as err:
        return {"error": str(err)}
    return {"file": getattr(module, "__file__", None),
            "version": getattr(module, "__version__", None)}


def application(environ, start_response):
    payload = json.dumps({
        "pid": os.getpid(),
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "executable": sys.executable,
        "version": list(sys.version_info[:3]),
        "path": sys.path,
        "probe": where("uwsgid_venv_probe"),
        "flask": where("flask"),
        "django": where("django"),
    }).encode()
    start_response("200 OK", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
    ])
    return [payload]
