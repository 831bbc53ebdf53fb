"""The whole run: set up, the HTTP matrix, the nginx path, reloads, start-ups, the report."""

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from . import django_site, install, nginx, procs, reload, runner, startup, summary, wrk
from .apps import (
    APPS,
    BIG_FILE,
    BIG_FILE_BYTES,
    HTTP,
    NGINX,
    RELOAD,
    STARTUP,
    STATIC_BYTES,
    STATIC_FILE,
    App,
    in_table,
)
from .install import log
from .servers import (
    HTTP_VARIANTS,
    NGINX_VARIANTS,
    RELOAD_VARIANTS,
    STARTUP_GROUPS,
    Context,
    Variant,
)


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _pick(names: list[str], known: dict, what: str) -> list:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[n] for n in names]


def run(args: argparse.Namespace, bench: Path) -> int:
    repo = bench.parent
    apps = _pick(_csv(args.apps), APPS, "app") if args.apps else list(APPS.values())
    counts = [int(n) for n in _csv(args.processes)]
    chosen = set(_pick(_csv(args.servers), HTTP_VARIANTS, "server")) if args.servers else None
    variants = [v for v in HTTP_VARIANTS.values() if chosen is None or v in chosen]

    apt = install.Apt()
    wrk_bin = apt.ensure("wrk", "wrk")
    nginx_bin = None if args.no_nginx else apt.ensure("nginx", "nginx")
    venv = (args.venv or repo / "target" / "bench-venv").resolve()
    install.ensure_venv(venv)
    build_note = _build(args, repo)
    ctx = _context(args, repo, bench, venv, apps)
    settings = _settings(args, bench, wrk_bin)
    load_before = os.getloadavg()
    started = time.time()

    out = _sections(args, ctx, apps, counts, variants, settings, nginx_bin)
    head = summary.header(args, ctx, wrk_bin, nginx_bin, load_before, started, build_note, out)
    text = summary.render(head, out)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    log(f"written to {args.output}; server logs in {settings.log_dir}")
    return 0


def _sections(args, ctx, apps, counts, variants, settings, nginx_bin) -> summary.Sections:
    """Every table the options leave in, each timed."""
    out = summary.Sections()

    def timed(name: str, section):
        begun = time.monotonic()
        try:
            return section()
        finally:
            out.seconds[name] = time.monotonic() - begun

    if not args.no_http:
        out.http = timed(
            "HTTP", lambda: _http_matrix(ctx, in_table(apps, HTTP), counts, variants, settings)
        )
    if not args.no_nginx:
        out.nginx = timed(
            "nginx",
            lambda: _nginx_path(
                ctx,
                in_table(apps, NGINX),
                counts,
                settings,
                nginx_bin,
                args.nginx_workers,
                variants,
            ),
        )
    if not args.no_reload:
        out.reload = timed(
            "reload", lambda: _reload(ctx, in_table(apps, RELOAD), counts, settings, args, variants)
        )
    if not args.no_startup:
        out.startup = timed(
            "start-up",
            lambda: _startup(
                ctx, in_table(apps, STARTUP), counts, settings, args.startup_rounds, variants
            ),
        )
    return out


def _build(args: argparse.Namespace, repo: Path) -> str:
    """Builds uwsgid unless --no-build; a failure is reported in the uwsgid rows, not fatal."""
    if args.no_build:
        return ""
    try:
        install.build_uwsgid(repo)
    except install.SetupError as err:
        log(f"{err}; the uwsgid rows will say so")
        return str(err)
    return ""


def _context(args, repo: Path, bench: Path, venv: Path, apps: list[App]) -> Context:
    uwsgid = (args.uwsgid or repo / "target" / "release" / "uwsgid").resolve()
    ctx = Context(repo, bench / "apps", venv, uwsgid, list(args.uwsgid_arg))
    results = bench / "results"
    ctx.static_dir = _static_file(results / "static")
    if any(a.name == "file10m" for a in apps):
        _big_file(results / BIG_FILE)
    if any(a.django for a in apps) and not args.no_reload:
        ctx.django_dir = django_site.make(venv, bench / "apps", results / "django")
    return ctx


def _settings(args: argparse.Namespace, bench: Path, wrk_bin: str) -> runner.Settings:
    log_dir = bench / "results" / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    load = wrk.Load(
        wrk_bin, bench / "apps" / "wrk.lua", args.duration, args.connections, args.threads
    )
    return runner.Settings(load, args.rounds, args.warmup, args.ready_timeout, log_dir, args.settle)


def _static_file(folder: Path) -> Path:
    """The static app's file (text, so every server gives it a Content-Type), rewritten each run."""
    folder.mkdir(parents=True, exist_ok=True)
    line = b"/* the static file of bench/run: the same bytes for every server */\n"
    (folder / STATIC_FILE).write_bytes((line * (STATIC_BYTES // len(line) + 1))[:STATIC_BYTES])
    return folder


def _big_file(path: Path) -> None:
    """The file10m app's file: BIG_FILE_BYTES of a repeating pattern, written when missing."""
    if path.exists() and path.stat().st_size == BIG_FILE_BYTES:
        return
    block = bytes(range(256)) * 256
    with open(path, "wb") as f:
        for _ in range(BIG_FILE_BYTES // len(block)):
            f.write(block)


def _http_matrix(ctx, apps, counts, variants, settings):
    cells = []
    for app in apps:
        chosen = [v for v in variants if not app.servers or v.name in app.servers]
        for n in counts:
            log(f"HTTP: {app.name}, {n} process(es): {', '.join(v.name for v in chosen)}")
            cells.append((app.name, n, runner.run_cell(ctx, app, n, chosen, settings)))
    return cells


def _nginx_path(ctx, apps, counts, settings, nginx_bin, workers, variants):
    # The uwsgi-protocol backends follow --servers: uwsgid and uWSGI are kept when selected.
    names = {v.name for v in variants}
    wanted = [
        v
        for v in NGINX_VARIANTS.values()
        if v.name in names or (v.name == "uwsgi" and names & {"uwsgi-http11", "uwsgi-http"})
    ]
    prefix = Path(tempfile.mkdtemp(prefix="uwsgid-bench-nginx-"))
    cells = []
    server = None
    try:
        lay = nginx.layout(prefix, wanted, ctx.static_dir)
        server = nginx.start_nginx(nginx_bin, lay, workers, settings.log_dir)
        for app in apps:
            for n in counts:
                log(f"nginx: {app.name}, {n} process(es): {', '.join(v.name for v in wanted)}")
                cells.append(
                    (app.name, n, nginx.run_cell(ctx, app, n, wanted, settings, server, lay))
                )
    finally:
        if server is not None:
            procs.stop(server)
        shutil.rmtree(prefix, ignore_errors=True)
    return cells


def _reload(ctx, apps, counts, settings, args, variants):
    names = {v.name for v in variants}
    chosen = [HTTP_VARIANTS[n] for n in RELOAD_VARIANTS if n in names]
    rows = []
    for app in apps:
        for n in counts:
            results = []
            for v in chosen:
                log(
                    f"reload: {app.name}, {n} process(es), {v.name}, SIGHUP every "
                    f"{args.reload_interval:g} s"
                )
                results.append(
                    reload.run_one(
                        ctx, app, n, v, settings, args.reload_duration, args.reload_interval
                    )
                )
            rows.append((app.name, n, results))
    return rows


def _startup_variants(variants: list[Variant]) -> list[Variant]:
    """One variant per server: the first selected of each STARTUP_GROUPS group."""
    names = {v.name for v in variants}
    picked = [next((n for n in group if n in names), None) for group in STARTUP_GROUPS]
    return [HTTP_VARIANTS[n] for n in picked if n is not None]


def _startup(ctx, apps, counts, settings, rounds, variants):
    chosen = _startup_variants(variants)
    rows = []
    for app in apps:
        for n in counts:
            log(
                f"start-up: {app.name}, {n} process(es), {rounds} starts each: "
                f"{', '.join(v.name for v in chosen)}"
            )
            rows.append((app.name, n, startup.run_cell(ctx, app, n, chosen, settings, rounds)))
    return rows
