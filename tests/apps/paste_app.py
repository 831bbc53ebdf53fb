"""A PasteDeploy app factory: answers the `greeting` of its ini section and
whether the interpreter imported `site` (`no-site`)."""

import logging
import sys

log = logging.getLogger("paste_app")


def factory(global_config, **settings):
    greeting = settings.get("greeting", "none").encode()
    log.warning("paste app built with greeting %s", settings.get("greeting"))

    def application(environ, start_response):
        body = greeting + b" no_site=" + str(sys.flags.no_site).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]

    return application
