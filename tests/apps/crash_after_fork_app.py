"""Imports fine, but every process forked from the importer dies at once
(exit 3): in the default (zygote) mode every worker crashes on start, the
crash loop the master must respawn with backoff. Standard library only."""

import os

os.register_at_fork(after_in_child=lambda: os._exit(3))


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"unreachable"]
