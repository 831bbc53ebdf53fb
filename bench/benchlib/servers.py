"""The server command lines, one place for every flag the comparison depends on.

Fairness choices (also in bench/README.md): every server runs the same app (benchlib/apps.py)
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

from .apps import STATIC_PREFIX, App

#: Gunicorn gthread threads per worker (an app's own `threads` wins).
GTHREAD_THREADS = 4
#: Variants given `--threads N` when an app asks for threads (uwsgid and uWSGI).
UWSGI_STYLE = frozenset({"uwsgid", "uwsgi-http11", "uwsgi-http", "uwsgi"})


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
    #: The generated Django project (the django app): its folder holds `testsite/`.
    django_dir: Path = Path()

    def app_dir(self, app: App) -> Path:
        """The folder the app's module is imported from (Gunicorn's --chdir, Granian's
        --working-dir)."""
        return self.django_dir if app.django else self.apps_dir

    def app_source(self, app: App) -> list[str]:
        """How uwsgid and uWSGI load the app: its file, or the Django project's module."""
        if app.django:
            return ["--module", app.callable, "--chdir", str(self.django_dir)]
        return ["--wsgi-file", str(self.apps_dir / app.file)]

    def venv_bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def static_args(self, app: App) -> list[str]:
        """`--static-map` for the static app (the same for uwsgid and uWSGI), else nothing."""
        if app.name != "static":
            return []
        return ["--static-map", f"{STATIC_PREFIX}={self.static_dir}"]

    @staticmethod
    def thread_args(app: App) -> list[str]:
        """`--threads N` for the apps that ask for threads (uwsgid and uWSGI)."""
        return ["--threads", str(app.threads)] if app.threads else []


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
        *ctx.app_source(app),
        "--processes",
        str(procs),
        "--master",
        "--disable-logging",
        "--home",
        str(ctx.venv),
        *ctx.static_args(app),
        *ctx.thread_args(app),
        *ctx.uwsgid_extra,
    ]


def _uwsgi(ctx: Context, app: App, procs: int, bind: list[str]) -> list[str]:
    return [
        ctx.venv_bin("uwsgi"),
        *bind,
        *ctx.app_source(app),
        "--processes",
        str(procs),
        "--master",
        "--need-app",
        "--disable-logging",
        "--home",
        str(ctx.venv),
        *ctx.static_args(app),
        *ctx.thread_args(app),
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
        str(ctx.app_dir(app)),
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
        str(ctx.app_dir(app)),
        "--log-level",
        "warning",
        app.callable,
    ]


def gunicorn_sync(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    return _gunicorn(ctx, app, procs, listen, ["--worker-class", "sync"])


def gunicorn_gthread(ctx: Context, app: App, procs: int, listen: Listen) -> list[str]:
    threads = app.threads or GTHREAD_THREADS
    return _gunicorn(
        ctx, app, procs, listen, ["--worker-class", "gthread", "--threads", str(threads)]
    )


@dataclass(frozen=True)
class Variant:
    """A server configuration that is one row of the table."""

    name: str
    label: str
    # (Context, App, processes, Listen) -> argv; None for nginx's own ceiling row.
    command: Callable[[Context, App, int, Listen], list[str]] | None
    stop_signal: int = signal.SIGINT

    def label_for(self, app: App) -> str:
        """The row label; `--threads N` is named where an app gives it to uwsgid and uWSGI."""
        if app.threads and self.name in UWSGI_STYLE:
            return f"{self.label} --threads {app.threads}"
        return self.label


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

#: The start-up table: one row per server, the first selected variant of each group.
STARTUP_GROUPS = [
    ("uwsgid",),
    ("uwsgi-http", "uwsgi-http11"),
    ("granian",),
    ("gunicorn-sync", "gunicorn-gthread"),
]
#: Servers whose master reloads its workers on SIGHUP (the start-up table times it).
RELOADS_ON_HUP = frozenset(RELOAD_VARIANTS + ["uwsgi-http"])
