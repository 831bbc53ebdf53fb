"""Reports what the cyclic garbage collector sees in this worker: how many
objects are frozen (imported before the fork), and whether a reference
cycle made by the request itself is still collected."""

import gc
import json
import weakref


class Node:
    pass


def application(environ, start_response):
    node = Node()
    node.me = node
    ref = weakref.ref(node)
    del node
    gc.collect()
    body = json.dumps({"frozen": gc.get_freeze_count(), "cycle_collected": ref() is None})
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body.encode()]
