"""The shared caches' e2e app: uwsgi.cache_* called as apps call them,
answering JSON with the worker that answered."""

import gzip
import json
import os
from urllib.parse import parse_qs

import uwsgi


def ops():
    """uWSGI 2.0.31's answers to this sequence are pinned in the test (a
    cache of items=5, blocksize=100, keysize=10, then one named "other")."""
    r = []

    def t(name, f):
        try:
            r.append((name, repr(f())))
        except Exception as e:
            r.append((name, "EXC %s: %s" % (type(e).__name__, e)))

    t("get_missing", lambda: uwsgi.cache_get("a"))
    t("set", lambda: uwsgi.cache_set("a", "hello"))
    t("set_again", lambda: uwsgi.cache_set("a", "other"))
    t("get", lambda: uwsgi.cache_get("a"))
    t("update", lambda: uwsgi.cache_update("a", b"upd"))
    t("get2", lambda: uwsgi.cache_get("a"))
    t("update_new", lambda: uwsgi.cache_update("b", b"new"))
    t("exists", lambda: uwsgi.cache_exists("a"))
    t("exists_no", lambda: uwsgi.cache_exists("zz"))
    t("del", lambda: uwsgi.cache_del("a"))
    t("del_again", lambda: uwsgi.cache_del("a"))
    t("set_empty_val", lambda: uwsgi.cache_set("e", b""))
    t("set_empty_key", lambda: uwsgi.cache_set("", b"x"))
    t("set_big", lambda: uwsgi.cache_set("big", b"x" * 101))
    t("set_exact", lambda: uwsgi.cache_set("exact", b"x" * 100))
    t("update_big", lambda: uwsgi.cache_update("exact", b"x" * 101))
    t("longkey", lambda: uwsgi.cache_set("k" * 11, b"x"))
    t("key10", lambda: uwsgi.cache_set("k" * 10, b"x"))
    t("inc_new", lambda: uwsgi.cache_inc("n"))
    t("get_n", lambda: uwsgi.cache_get("n"))
    t("num_n", lambda: uwsgi.cache_num("n"))
    t("inc5", lambda: uwsgi.cache_inc("n", 5))
    t("dec2", lambda: uwsgi.cache_dec("n", 2))
    t("mul3", lambda: uwsgi.cache_mul("n", 3))
    t("div0", lambda: uwsgi.cache_div("n", 0))
    t("num_after", lambda: uwsgi.cache_num("n"))
    t("mul_new", lambda: uwsgi.cache_mul("m"))
    t("num_str", lambda: uwsgi.cache_num("b"))
    t("num_missing", lambda: uwsgi.cache_num("nope"))
    t("inc_on_str", lambda: uwsgi.cache_inc("b", 1))
    t("get_b_after_inc", lambda: uwsgi.cache_get("b"))
    t("keys", lambda: uwsgi.cache_keys())
    t("keys_other", lambda: uwsgi.cache_keys("other"))
    t("keys_nonexist", lambda: uwsgi.cache_keys("nonexist"))
    t("get_nonexist_cache", lambda: uwsgi.cache_get("a", "nonexist"))
    t("set_nonexist_cache", lambda: uwsgi.cache_set("a", "v", 0, "nonexist"))
    t("clear_nonexist_cache", lambda: uwsgi.cache_clear("nonexist"))
    t("set_other", lambda: uwsgi.cache_set("x", "y", 0, "other"))
    t("get_other", lambda: uwsgi.cache_get("x", "other"))
    t("get_other_default", lambda: uwsgi.cache_get("x"))
    t("set_int", lambda: uwsgi.cache_set("i", 5))
    t("get_none_key", lambda: uwsgi.cache_get(None))
    t("bytes_key", lambda: uwsgi.cache_get(b"n"))
    t("bytearray", lambda: uwsgi.cache_set("mv", bytearray(b"ab")))
    t("name_bytes", lambda: uwsgi.cache_get("x", b"other"))
    t("clear", lambda: uwsgi.cache_clear())
    t("keys_after_clear", lambda: uwsgi.cache_keys())
    t("fill", lambda: [uwsgi.cache_set("f%d" % i, "v") for i in range(6)])
    t("keys_fill", lambda: uwsgi.cache_keys())
    t("math_new", lambda: (uwsgi.cache_clear(), uwsgi.cache_dec("dd"), uwsgi.cache_num("dd")))
    t("unicode", lambda: (uwsgi.cache_set("ké", "é"), uwsgi.cache_get("ké".encode())))
    t("expired_at_once", lambda: (uwsgi.cache_set("ne", "v", -1), uwsgi.cache_get("ne")))
    return "\n".join("%s=%s" % x for x in r)


def bitmap_ops():
    """uWSGI 2.0.31's answers pinned in the test, on a cache "b" of
    items=4, blocksize=10, bitmap=1: values span consecutive blocks."""
    r = []

    def t(name, f):
        r.append((name, repr(f())))

    c = "b"
    t("a25", lambda: uwsgi.cache_set("a", b"A" * 25, 0, c))
    t("b20", lambda: uwsgi.cache_set("b", b"B" * 20, 0, c))
    t("c10", lambda: uwsgi.cache_set("c", b"C" * 10, 0, c))
    t("d1", lambda: uwsgi.cache_set("d", b"D", 0, c))
    t("upd_a5", lambda: uwsgi.cache_update("a", b"a" * 5, 0, c))
    t("get_a", lambda: uwsgi.cache_get("a", c))
    t("del_c", lambda: uwsgi.cache_del("c", c))
    t("upd_a5_again", lambda: uwsgi.cache_update("a", b"a" * 5, 0, c))
    t("b30", lambda: uwsgi.cache_set("b", b"B" * 30, 0, c))
    t("get_a2", lambda: uwsgi.cache_get("a", c))
    t("get_b", lambda: uwsgi.cache_get("b", c))
    t("big41", lambda: uwsgi.cache_set("x", b"X" * 41, 0, c))
    t("clear", lambda: uwsgi.cache_clear(c))
    t("full40", lambda: uwsgi.cache_set("x", b"X" * 40, 0, c))
    t("get_x", lambda: len(uwsgi.cache_get("x", c)))
    t("inc_new", lambda: (uwsgi.cache_del("x", c), uwsgi.cache_inc("n", 3, 0, c),
                          uwsgi.cache_inc("n", 4, 0, c), uwsgi.cache_num("n", c)))
    t("keys", lambda: uwsgi.cache_keys(c))
    return "\n".join("%s=%s" % x for x in r)


def application(environ, start_response):
    q = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    path = environ["PATH_INFO"]
    cache = q.get("cache")
    answer = {"pid": os.getpid(), "worker": uwsgi.worker_id()}
    if path in ("/ops", "/bitmap"):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [(ops() if path == "/ops" else bitmap_ops()).encode()]
    if path == "/set":
        answer["ok"] = uwsgi.cache_update(q["k"], q["v"], int(q.get("e", "0")), cache)
    elif path == "/get":
        value = uwsgi.cache_get(q["k"], cache)
        answer["value"] = None if value is None else value.decode()
    elif path == "/gunzip":
        value = uwsgi.cache_get(q["k"], cache)
        answer["value"] = None if value is None else gzip.decompress(value).decode()
    elif path == "/inc":
        answer["ok"] = uwsgi.cache_inc("counter", 1, 0, cache)
    elif path == "/num":
        answer["num"] = uwsgi.cache_num("counter", cache)
    elif path == "/keys":
        answer["keys"] = sorted(k.decode() for k in uwsgi.cache_keys(cache))
    body = json.dumps(answer).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
