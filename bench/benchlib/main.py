"""The whole run: set up, the HTTP matrix, the nginx path, the reload benchmark, the report."""

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from . import install, nginx, procs, reload, report, runner, wrk
from .install import log
from .servers import (
    APPS,
    HTTP_VARIANTS,
    NGINX_VARIANTS,
    RELOAD_VARIANTS,
    STATIC_BYTES,
    STATIC_FILE,
    Context,
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
    apps = _pick(_csv(args.apps), APPS, "app")
    counts = [int(n) for n in _csv(args.processes)]
    chosen = set(_pick(_csv(args.servers), HTTP_VARIANTS, "server")) if args.servers else None
    variants = [v for v in HTTP_VARIANTS.values() if chosen is None or v in chosen]
    names = {v.name for v in variants}

    apt = install.Apt()
    wrk_bin = apt.ensure("wrk", "wrk")
    nginx_bin = None if args.no_nginx else apt.ensure("nginx", "nginx")
    venv = (args.venv or repo / "target" / "bench-venv").resolve()
    install.ensure_venv(venv)
    build_note = ""
    if not args.no_build:
        try:
            install.build_uwsgid(repo)
        except install.SetupError as err:
            build_note = str(err)
            log(f"{err}; the uwsgid rows will say so")

    uwsgid = (args.uwsgid or repo / "target" / "release" / "uwsgid").resolve()
    ctx = Context(repo, bench / "apps", venv, uwsgid, list(args.uwsgid_arg))
    ctx.static_dir = _static_file(bench / "results" / "static")
    log_dir = bench / "results" / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    load = wrk.Load(
        wrk_bin, bench / "apps" / "wrk.lua", args.duration, args.connections, args.threads
    )
    settings = runner.Settings(
        load, args.rounds, args.warmup, args.ready_timeout, log_dir, args.settle
    )
    load_before = os.getloadavg()
    started = time.time()

    # The static app is compared behind nginx only (Granian and Gunicorn have no static-map).
    http_apps = [a for a in apps if a.name != "static"]
    nginx_apps = [APPS["hello"]] + [a for a in apps if a.name == "static"]
    http_cells = [] if args.no_http else _http_matrix(ctx, http_apps, counts, variants, settings)
    nginx_cells = (
        []
        if args.no_nginx
        else _nginx_path(ctx, nginx_apps, counts, settings, nginx_bin, args.nginx_workers, names)
    )
    reload_rows = _reload(ctx, counts, settings, args, names) if args.reload else []

    header = _header(args, ctx, wrk_bin, nginx_bin, load_before, started, build_note)
    text = _render(header, http_cells, nginx_cells, reload_rows, args.connections)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    log(f"written to {args.output}; server logs in {log_dir}")
    return 0


def _http_matrix(ctx, apps, counts, variants, settings):
    cells = []
    for app in apps:
        for n in counts:
            log(f"HTTP: {app.name}, {n} process(es): {', '.join(v.name for v in variants)}")
            cells.append((app.name, n, runner.run_cell(ctx, app, n, variants, settings)))
    return cells


def _static_file(folder: Path) -> Path:
    """The static app's file (text, so every server gives it a Content-Type), rewritten each run."""
    folder.mkdir(parents=True, exist_ok=True)
    line = b"/* the static file of bench/run: the same bytes for every server */\n"
    (folder / STATIC_FILE).write_bytes((line * (STATIC_BYTES // len(line) + 1))[:STATIC_BYTES])
    return folder


def _nginx_path(ctx, apps, counts, settings, nginx_bin, workers, names):
    # The uwsgi-protocol backends follow --servers: uwsgid and uWSGI are kept when selected.
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


def _reload(ctx, counts, settings, args, names):
    rows = []
    variants = [HTTP_VARIANTS[n] for n in RELOAD_VARIANTS if n in names]
    for n in counts:
        results = []
        for v in variants:
            log(f"reload: hello, {n} process(es), {v.name}, SIGHUP every {args.reload_interval} s")
            results.append(
                reload.run_one(
                    ctx, APPS["hello"], n, v, settings, args.reload_duration, args.reload_interval
                )
            )
        rows.append(("hello", n, results))
    return rows


def _version(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


def _header(args, ctx, wrk_bin, nginx_bin, load_before, started, build_note) -> list[str]:
    py = str(ctx.venv / "bin" / "python")
    meta = (
        "import importlib.metadata as m; print(' '.join(m.version(p) for p in "
        "('gunicorn', 'granian', 'flask')))"
    )
    gunicorn_v, granian_v, flask_v = (_version([py, "-c", meta]).split() + ["?"] * 3)[:3]
    rev = _version(["git", "-C", str(ctx.repo), "describe", "--always", "--dirty"])
    peers = (
        f"uWSGI {_version([str(ctx.venv / 'bin' / 'uwsgi'), '--version'])} · "
        f"Granian {granian_v} · Gunicorn {gunicorn_v} · Flask {flask_v} · "
        f"{_version([wrk_bin, '-v']).split(' [')[0]}"
    )
    if nginx_bin:
        peers += f" · {_version([nginx_bin, '-v']).replace('nginx version: ', '')}"
    la = " ".join(f"{x:.2f}" for x in load_before)
    lines = [
        "# uwsgid benchmark",
        "",
        f"- When: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
        f"{time.time() - started:.0f} s; {os.cpu_count()} CPUs; load average before: {la}, "
        f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- uwsgid {rev} ({ctx.uwsgid}) · {peers}",
        f"- Load: wrk -t{args.threads} -c{args.connections}, {args.rounds} interleaved round(s) of "
        f"{args.duration:g} s per server (median), {args.warmup:g} s warm-up, loopback only; "
        f"POST app: 64 KiB bodies; memory read {args.settle:g} s after each server's last round",
        "- Ratios are uwsgid ÷ that row's server: req/s above 1 and p99 / PSS below 1 favour "
        "uwsgid.",
    ]
    if build_note:
        lines.append(f"- uwsgid build failed: {build_note}")
    return lines


def _render(header, http_cells, nginx_cells, reload_rows, connections) -> str:
    notes = report.Notes()
    out = list(header)
    if http_cells:
        out += ["", "## Direct HTTP", ""]
        out += report.matrix_table(http_cells, notes, "HTTP", connections)
    if nginx_cells:
        out += ["", "## Behind nginx (uwsgi_pass over a unix socket)", ""]
        out += report.matrix_table(nginx_cells, notes, "nginx", connections)
    if reload_rows:
        out += ["", "## Reload under load (SIGHUP to the master)", ""]
        out += report.reload_table(reload_rows, notes, connections)
    out += notes.render()
    return "\n".join(out) + "\n"
