"""The apps and the server command lines, one place for every flag the comparison depends on.

Fairness choices (also in bench/README.md): every server runs the same app file from bench/apps
with its defaults except for per-request access logging, which is off everywhere (uWSGI and
uwsgid log every request by default; Gunicorn and Granian do not), and readiness is
"GET / answered 200". Every server runs in the same Python environment, the venv: Gunicorn and
Granian are started from it, uWSGI finds it from its own path in `venv/bin`, and uwsgid and uWSGI
are both given `--home VENV` for every app, so none of them loads another site-packages (and its
`.pth` files) than the others.
"""

import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Gunicorn gthread threads per worker.
GTHREAD_THREADS = 4
#: Bytes sent by the POST app's load.
POST_BYTES = 65536
#: The static app's file: under STATIC_PREFIX for wrk, in Context.static_dir on disk.
STATIC_PREFIX = "/static"
STATIC_FILE = "bench.css"
STATIC_BYTES = 16384


@dataclass(frozen=True)
class App:
    name: str
    file: str  # file in bench/apps, for --wsgi-file
    callable: str  # module:callable, for Gunicorn and Granian
    wrk_args: tuple[str, ...] = ("get",)


APPS = {
    "hello": App("hello", "hello.py", "hello:application"),
    "flask": App("flask", "flask_app.py", "flask_app:application"),
    "post64k": App("post64k", "echo.py", "echo:application", ("post", str(POST_BYTES))),
    # Behind nginx only: uwsgid's and uWSGI's static-map against nginx serving the file itself.
    "static": App(
        "static", "hello.py", "hello:application", ("path", f"{STATIC_PREFIX}/{STATIC_FILE}")
    ),
}


@dataclass
class Context:
    """Paths a command line needs."""

    repo: Path
    apps_dir: Path
    venv: Path
    uwsgid: Path
    uwsgid_extra: list[str] = field(default_factory=list)
    #: The directory `static-map` maps (the static app).
    static_dir: Path = Path()

    def app_file(self, app: App) -> str:
        return str(self.apps_dir / app.file)

    def venv_bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def static_args(self, app: App) -> list[str]:
        """`--static-map` for the static app (the same for uwsgid and uWSGI), else nothing."""
        if app.name != "static":
            return []
        return ["--static-map", f"{STATIC_PREFIX}={self.static_dir}"]


@dataclass(frozen=True)
class Listen:
    """Where a server listens: an HTTP TCP port, or a uwsgi-protocol unix socket (nginx path)."""

    port: int = 0
    unix: str = ""

    @property
    def tcp(self) -> str:
        return f"127.0.0.1:{self.port}"


def uwsgid(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    bind = ["--socket", listen.unix] if listen.unix else ["--http-socket", listen.tcp]
    return [
        str(ctx.uwsgid),
        *bind,
        "--wsgi-file",
        ctx.app_file(app),
        "--processes",
        str(procs),
        "--master",
        "--disable-logging",
        "--home",
        str(ctx.venv),
        *ctx.static_args(app),
        *ctx.uwsgid_extra,
    ]


def _uwsgi(ctx: Context, app: App, procs: int, bind: list[str]) -> list[str]:
    return [
        ctx.venv_bin("uwsgi"),
        *bind,
        "--wsgi-file",
        ctx.app_file(app),
        "--processes",
        str(procs),
        "--master",
        "--need-app",
        "--disable-logging",
        "--home",
        str(ctx.venv),
        *ctx.static_args(app),
    ]


def uwsgi_http11(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return _uwsgi(ctx, app, procs, ["--http11-socket", listen.tcp])


def uwsgi_http(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return _uwsgi(ctx, app, procs, ["--http-socket", listen.tcp])


def uwsgi_socket(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return _uwsgi(ctx, app, procs, ["--socket", listen.unix])


def granian(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return [
        ctx.venv_bin("granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(listen.port),
        "--workers",
        str(procs),
        "--working-dir",
        str(ctx.apps_dir),
        "--no-ws",
        "--log-level",
        "warning",
        app.callable,
    ]


def _gunicorn(ctx: Context, app: App, procs: int, listen: Listen, klass: list[str]) -> list[str]:
    return [
        ctx.venv_bin("gunicorn"),
        "--workers",
        str(procs),
        *klass,
        "--bind",
        listen.tcp,
        "--chdir",
        str(ctx.apps_dir),
        "--log-level",
        "warning",
        app.callable,
    ]


def gunicorn_sync(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return _gunicorn(ctx, app, procs, listen, ["--worker-class", "sync"])


def gunicorn_gthread(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return _gunicorn(
        ctx, app, procs, listen, ["--worker-class", "gthread", "--threads", str(GTHREAD_THREADS)]
    )


@dataclass(frozen=True)
class Variant:
    """A server configuration that is one row of the table."""

    name: str
    label: str
    # (Context, App, processes, Listen) -> argv; None for nginx's own ceiling row.
    command: Callable[[Context, App, int, Listen], list[str]] | None
    stop_signal: int = signal.SIGINT


# SIGINT stops all of them at once (uWSGI 2.0 treats SIGTERM as a brutal reload).
HTTP_VARIANTS = {
    v.name: v
    for v in (
        Variant("uwsgid", "uwsgid --http-socket", uwsgid),
        Variant("uwsgi-http11", "uWSGI --http11-socket", uwsgi_http11),
        Variant("uwsgi-http", "uWSGI --http-socket", uwsgi_http),
        Variant("granian", "Granian --interface wsgi", granian),
        Variant("gunicorn-sync", "Gunicorn sync", gunicorn_sync),
        Variant(
            "gunicorn-gthread", f"Gunicorn gthread ({GTHREAD_THREADS} threads)", gunicorn_gthread
        ),
    )
}

#: Behind nginx uwsgi_pass over a unix socket.
NGINX_VARIANTS = {
    v.name: v
    for v in (
        Variant("uwsgid", "nginx → uwsgid --socket", uwsgid),
        Variant("uwsgi", "nginx → uWSGI --socket", uwsgi_socket),
    )
}

#: Servers the reload benchmark sends SIGHUP to (each reloads gracefully on SIGHUP).
RELOAD_VARIANTS = ["uwsgid", "uwsgi-http11", "gunicorn-sync", "gunicorn-gthread"]
