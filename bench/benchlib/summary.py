"""The report's header (when, what ran, how it was loaded) and its tables, in order."""

import os
import subprocess
import time
from dataclasses import dataclass, field

from . import report
from .apps import APPS, ECHO_1M, POST_BYTES
from .report_reload import reload_table
from .report_startup import startup_table
from .servers import Context


@dataclass
class Sections:
    """What each part of the run produced, and how long it took (seconds)."""

    http: list = field(default_factory=list)
    nginx: list = field(default_factory=list)
    reload: list = field(default_factory=list)
    startup: list = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def _version(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return text[0].strip() if text else "?"


def _peers(ctx: Context, wrk_bin: str, nginx_bin: str | None) -> str:
    py = str(ctx.venv / "bin" / "python")
    names = ("gunicorn", "granian", "flask", "django")
    meta = (
        "import importlib.metadata as m\n"
        f"for p in {names!r}:\n"
        "    try: print(m.version(p), end=' ')\n"
        "    except m.PackageNotFoundError: print('?', end=' ')"
    )
    gunicorn_v, granian_v, flask_v, django_v = (_version([py, "-c", meta]).split() + ["?"] * 4)[:4]
    peers = (
        f"uWSGI {_version([str(ctx.venv / 'bin' / 'uwsgi'), '--version'])} · "
        f"Granian {granian_v} · Gunicorn {gunicorn_v} · Flask {flask_v} · Django {django_v} · "
        f"{_version([wrk_bin, '-v']).split(' [')[0]}"
    )
    if nginx_bin:
        peers += f" · {_version([nginx_bin, '-v']).replace('nginx version: ', '')}"
    return peers


def _own_connections() -> str:
    """The apps that set their own wrk connection count, e.g. `sleep10ms: -c16`."""
    return ", ".join(f"{a.name}: -c{a.connections}" for a in APPS.values() if a.connections)


def header(args, ctx, wrk_bin, nginx_bin, load_before, started, build_note, sections) -> list[str]:
    rev = _version(["git", "-C", str(ctx.repo), "describe", "--always", "--dirty"])
    la = " ".join(f"{x:.2f}" for x in load_before)
    took = ", ".join(f"{name} {secs:.0f} s" for name, secs in sections.seconds.items())
    lines = [
        "# uwsgid benchmark",
        "",
        f"- When: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
        f"{time.time() - started:.0f} s ({took}); {os.cpu_count()} CPUs; load average before: "
        f"{la}, after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- uwsgid {rev} ({ctx.uwsgid}) · {_peers(ctx, wrk_bin, nginx_bin)}",
        f"- Load: wrk -t{args.threads} -c{args.connections} ({_own_connections()}), {args.rounds} "
        f"interleaved round(s) of {args.duration:g} s per server (median), {args.warmup:g} s "
        f"warm-up, loopback only; POST bodies: post64k and echo64k {POST_BYTES // 1024} KiB, "
        f"echo1m {ECHO_1M // 1024} KiB; memory read {args.settle:g} s after each server's last "
        "round",
        f"- Reloads: {args.reload_duration} s steady, then {args.reload_duration} s with a SIGHUP "
        f"every {args.reload_interval:g} s; start-up: median of {args.startup_rounds} starts",
        "- Ratios are uwsgid ÷ that row's server: req/s above 1 and p99 / CPU / PSS / times below "
        "1 favour uwsgid.",
    ]
    if build_note:
        lines.append(f"- uwsgid build failed: {build_note}")
    return lines


def render(head: list[str], sections: Sections) -> str:
    notes = report.Notes()
    out = list(head)
    if sections.http:
        out += ["", "## Direct HTTP", ""]
        out += report.matrix_table(sections.http, notes, "HTTP")
    if sections.nginx:
        out += ["", "## Behind nginx (uwsgi_pass over a unix socket)", ""]
        out += report.matrix_table(sections.nginx, notes, "nginx", front=True)
    if sections.reload:
        out += ["", "## Reload under load (SIGHUP to the master)", ""]
        out += reload_table(sections.reload, notes)
    if sections.startup:
        out += ["", "## Start-up and reload time", ""]
        out += startup_table(sections.startup, notes)
    out += notes.render()
    return "\n".join(out) + "\n"
