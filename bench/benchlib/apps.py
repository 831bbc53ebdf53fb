"""The apps table: which file each app is, how wrk loads it, and which tables it appears in.

Every server runs the same file from bench/apps (or the generated Django project), so a row
compares servers, not apps.
"""

from dataclasses import dataclass

#: The tables of the report; each app names the ones it appears in.
HTTP = "http"  # direct HTTP matrix
NGINX = "nginx"  # behind nginx, uwsgi_pass over a unix socket
RELOAD = "reload"  # SIGHUP every interval under load
STARTUP = "startup"  # exec → first 200, and SIGHUP → the new generation serving

#: Bytes sent by the POST apps' load.
POST_BYTES = 65536
ECHO_1M = 1 << 20
#: The static app's file: under STATIC_PREFIX for wrk, in Context.static_dir on disk.
STATIC_PREFIX = "/static"
STATIC_FILE = "bench.css"
STATIC_BYTES = 16384
#: The file10m app's file, written by bench/run into bench/results/ (the app finds it there).
BIG_FILE = "file10m.bin"
BIG_FILE_BYTES = 10 << 20
#: Threads per worker of the threaded app, for uwsgid, uWSGI and Gunicorn gthread alike.
APP_THREADS = 4


@dataclass(frozen=True)
class App:
    name: str
    file: str  # file in bench/apps, for --wsgi-file; "" for the Django project (--module)
    callable: str  # module:callable, for Gunicorn and Granian (and --module)
    wrk_args: tuple[str, ...] = ("get",)
    tables: frozenset[str] = frozenset({HTTP})
    #: Server variants that run this app in the HTTP matrix; empty means all.
    servers: frozenset[str] = frozenset()
    #: `--threads N` for uwsgid and uWSGI (and Gunicorn gthread's thread count); 0: defaults.
    threads: int = 0
    #: wrk connections for this app; 0: the run's --connections.
    connections: int = 0
    #: The app is the generated Django project (Context.django_dir), not a file of bench/apps.
    django: bool = False


APPS = {
    a.name: a
    for a in (
        App("hello", "hello.py", "hello:application", tables=frozenset({HTTP, NGINX, STARTUP})),
        App(
            "flask",
            "flask_app.py",
            "flask_app:application",
            tables=frozenset({HTTP, NGINX, RELOAD, STARTUP}),
        ),
        # Reads the body in 16 KiB chunks and answers its size and CRC.
        App("post64k", "echo.py", "echo:application", ("post", str(POST_BYTES))),
        # The whole body in one read(), returned as it came: bodies both ways.
        App("echo64k", "echo_whole.py", "echo_whole:application", ("post", str(POST_BYTES))),
        App("echo1m", "echo_whole.py", "echo_whole:application", ("post", str(ECHO_1M))),
        App("resp1m", "resp1m.py", "resp1m:application"),
        App("file10m", "file10m.py", "file10m:application"),
        # I/O-bound, with threads: 4 threads per process for every server in its rows.
        App(
            "sleep10ms",
            "sleep10ms.py",
            "sleep10ms:application",
            servers=frozenset({"uwsgid", "uwsgi-http11", "uwsgi-http", "gunicorn-gthread"}),
            threads=APP_THREADS,
            connections=16,
        ),
        # Behind nginx only: uwsgid's and uWSGI's static-map against nginx serving the file.
        App(
            "static",
            "hello.py",
            "hello:application",
            ("path", f"{STATIC_PREFIX}/{STATIC_FILE}"),
            tables=frozenset({NGINX}),
        ),
        # `django-admin startproject` with one JSON view: a heavier import, for the reloads.
        App("django", "", "testsite.wsgi:application", tables=frozenset({RELOAD}), django=True),
    )
}


def in_table(apps: list[App], table: str) -> list[App]:
    return [a for a in apps if table in a.tables]
