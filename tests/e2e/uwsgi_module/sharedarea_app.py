"""The sharedarea test app: "/probe" runs uWSGI's sharedarea functions over area 0
and answers {case: repr(result) or "Error: message"}, as a real uWSGI
2.0.31 answered for the same calls; "/increment" adds one to the 64-bit counter
at the start of area 1 and "/count" reads it."""

import json
import os

import uwsgi


def probe():
    out = {}
    def t(name, f):
        try:
            v = f()
            out[name] = repr(v)
        except Exception as ex:
            out[name] = "%s: %s" % (type(ex).__name__, ex)
    t("len", lambda: len(uwsgi.sharedarea_read(0, 0)))
    t("len1", lambda: len(uwsgi.sharedarea_read(1, 0)))
    t("tail", lambda: len(uwsgi.sharedarea_read(0, 4000)))
    t("write", lambda: uwsgi.sharedarea_write(0, 10, b"hello"))
    t("write_str", lambda: uwsgi.sharedarea_write(0, 20, "héllo"))
    t("read", lambda: uwsgi.sharedarea_read(0, 10, 5))
    t("read_str", lambda: uwsgi.sharedarea_read(0, 20, 6))
    t("read0len", lambda: uwsgi.sharedarea_read(0, 4090, 0))
    t("write_over", lambda: uwsgi.sharedarea_write(0, 4094, b"abc"))
    t("read_over", lambda: uwsgi.sharedarea_read(0, 4094, 3))
    t("read_pos_over", lambda: uwsgi.sharedarea_read(0, 4096, 1))
    t("bad_id", lambda: uwsgi.sharedarea_read(5, 0, 1))
    t("write8", lambda: uwsgi.sharedarea_write8(0, 100, 200))
    t("read8", lambda: uwsgi.sharedarea_read8(0, 100))
    t("readbyte", lambda: uwsgi.sharedarea_readbyte(0, 100))
    t("write8_neg", lambda: uwsgi.sharedarea_write8(0, 101, -1))
    t("write8_big", lambda: uwsgi.sharedarea_write8(0, 101, 300))
    t("write16", lambda: uwsgi.sharedarea_write16(0, 200, 70000))
    t("read16", lambda: uwsgi.sharedarea_read16(0, 200))
    t("write32", lambda: uwsgi.sharedarea_write32(0, 300, 4000000000))
    t("read32", lambda: uwsgi.sharedarea_read32(0, 300))
    t("write32_neg", lambda: uwsgi.sharedarea_write32(0, 300, -5))
    t("read32b", lambda: uwsgi.sharedarea_read32(0, 300))
    t("write64", lambda: uwsgi.sharedarea_write64(0, 400, 2**40))
    t("read64", lambda: uwsgi.sharedarea_read64(0, 400))
    t("inc64", lambda: uwsgi.sharedarea_inc64(0, 400))
    t("inc64_5", lambda: uwsgi.sharedarea_inc64(0, 400, 5))
    t("read64b", lambda: uwsgi.sharedarea_readlong(0, 400))
    t("dec64", lambda: uwsgi.sharedarea_dec64(0, 400, 10))
    t("read64c", lambda: uwsgi.sharedarea_read64(0, 400))
    t("inc32", lambda: uwsgi.sharedarea_inc32(0, 500, 3))
    t("dec32", lambda: uwsgi.sharedarea_dec32(0, 500))
    t("read32c", lambda: uwsgi.sharedarea_read32(0, 500))
    t("inc64_edge", lambda: uwsgi.sharedarea_inc64(0, 4092))
    t("read64_edge", lambda: uwsgi.sharedarea_read64(0, 4092))
    t("write64_edge", lambda: uwsgi.sharedarea_write64(0, 4090, 1))
    t("inclong", lambda: uwsgi.sharedarea_inclong(0, 400))
    t("writelong", lambda: uwsgi.sharedarea_writelong(0, 600, 7))
    t("writebyte", lambda: uwsgi.sharedarea_writebyte(0, 700, 65))
    t("mv", lambda: (lambda m: (len(m), m.readonly, bytes(m[10:15])))(uwsgi.sharedarea_memoryview(0)))
    def mvw():
        m = uwsgi.sharedarea_memoryview(0); m[0:3] = b"xyz"; return uwsgi.sharedarea_read(0, 0, 3)
    t("mv_write", mvw)
    t("mv_bad", lambda: uwsgi.sharedarea_memoryview(9))
    t("rlock", lambda: uwsgi.sharedarea_rlock(0))
    t("unlock", lambda: uwsgi.sharedarea_unlock(0))
    t("wlock", lambda: uwsgi.sharedarea_wlock(0))
    t("unlock2", lambda: uwsgi.sharedarea_unlock(0))
    t("update", lambda: uwsgi.sharedarea_update(0))
    t("lock_bad", lambda: uwsgi.sharedarea_wlock(7))
    t("has_inc8", lambda: hasattr(uwsgi, "sharedarea_inc8"))
    t("has_inc16", lambda: hasattr(uwsgi, "sharedarea_inc16"))
    t("has_dec16", lambda: hasattr(uwsgi, "sharedarea_dec16"))
    t("has_wait", lambda: hasattr(uwsgi, "sharedarea_wait"))
    t("names", lambda: sorted(n for n in dir(uwsgi) if n.startswith("sharedarea")))

    return out


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/increment":
        uwsgi.sharedarea_inc64(1, 0)
        body = {"pid": os.getpid()}
    elif path == "/count":
        body = {"count": uwsgi.sharedarea_read64(1, 0)}
    elif path == "/probe":
        body = probe()
    else:
        body = {}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
