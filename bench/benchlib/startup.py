"""Start-up: from exec to the first 200, and from SIGHUP until only the new generation serves.

A probe is one `GET /` on a fresh connection (HTTP/1.0, so every server closes it), repeated
every PROBE_INTERVAL_S until it answers 200 or the deadline passes. Each start is timed from
just before the exec; the servers start one at a time, round after round (A B C … A B C …), and
the table shows the median of the rounds.

After the first 200, a server that reloads on SIGHUP gets one: the time runs from the signal
until every process the master had before it is gone (workers, uwsgid's zygote) and a probe
then answers 200, so the answer can only come from the new generation. The longest a single
probe waited for its answer during that time shows whether clients were kept waiting.
"""

import os
import signal
import socket
import time
from dataclasses import dataclass, field

from . import procs, runner
from .apps import App
from .servers import RELOADS_ON_HUP, Context, Listen, Variant

PROBE_INTERVAL_S = 0.002
REQUEST = b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"


@dataclass
class StartupResult:
    name: str
    label: str
    start_ms: list[float] = field(default_factory=list)
    reload_ms: list[float] = field(default_factory=list)
    #: Per reload: the longest one probe waited for its answer.
    reload_wait_ms: list[float] = field(default_factory=list)
    failure: str = ""


def probe(port: int, timeout: float) -> bool:
    """One GET / on a fresh connection: True when it answered 200."""
    with socket.create_connection(("127.0.0.1", port), timeout=max(timeout, 0.001)) as sock:
        sock.sendall(REQUEST)
        head = b""
        while len(head) < 12:  # "HTTP/1.1 200"
            chunk = sock.recv(64)
            if not chunk:
                break
            head += chunk
    return head.startswith(b"HTTP/1.") and head[9:12] == b"200"


def _probe_ok(port: int, deadline: float) -> bool:
    try:
        return probe(port, deadline - time.monotonic())
    except OSError:
        return False  # not listening yet, reset, or no answer before the deadline


def first_200(server: procs.Server, deadline: float) -> float:
    """The monotonic time of the first 200; NotReady when the deadline passes or it exits."""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise procs.NotReady(
                f"exited with {server.proc.returncode} before it answered 200:\n{server.log_tail()}"
            )
        if _probe_ok(server.port, deadline):
            return time.monotonic()
        time.sleep(PROBE_INTERVAL_S)
    raise procs.NotReady(f"no 200 before the deadline:\n{server.log_tail()}")


#: The master's process set must stay the same this long before a SIGHUP (every worker forked).
STABLE_S = 0.1


def _settled_children(server: procs.Server, count: int, deadline: float) -> list[int]:
    """The master's descendants once there are at least `count` and none came or went for
    STABLE_S: the SIGHUP then finds the whole first generation (uwsgid's zygote included)."""
    kids = procs.descendants(server.pid)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(PROBE_INTERVAL_S)
        now = procs.descendants(server.pid)
        if now != kids:
            kids, since = now, time.monotonic()
        elif len(kids) >= count and time.monotonic() - since >= STABLE_S:
            break
    return kids


def time_reload(server: procs.Server, workers: int, deadline: float) -> tuple[float, float]:
    """(ms from SIGHUP until only the new generation serves, longest probe wait in ms)."""
    old = _settled_children(server, workers, deadline)
    server.remember(old)
    sent = time.monotonic()
    os.kill(server.pid, signal.SIGHUP)
    longest = 0.0
    while time.monotonic() < deadline:
        gone = not any(procs.still_alive(server, pid) for pid in old)
        asked = time.monotonic()
        ok = _probe_ok(server.port, deadline)
        answered = time.monotonic()
        longest = max(longest, answered - asked)
        if gone and ok:
            return (answered - sent) * 1000, longest * 1000
        time.sleep(PROBE_INTERVAL_S)
    raise procs.NotReady(
        f"the old generation was still there at the deadline:\n{server.log_tail()}"
    )


def measure_once(
    ctx: Context, app: App, n: int, variant: Variant, settings: runner.Settings, out: StartupResult
) -> None:
    """One start (and reload) of `variant`, appended to `out`; a failure ends its rounds."""
    if variant.command is None:
        raise ValueError(f"{variant.name} has no command line")
    listen = Listen(port=procs.free_port())
    cmd = variant.command(ctx, app, n, listen)
    name = f"startup-{app.name}-p{n}-{variant.name}"
    started = time.monotonic()
    deadline = started + settings.ready_timeout
    try:
        server = procs.start(
            name, cmd, ctx.apps_dir, settings.log_dir, listen.port, stop_signal=variant.stop_signal
        )
    except OSError as err:
        out.failure = f"{variant.name} could not be started: {cmd[0]}: {err}"
        return
    try:
        out.start_ms.append((first_200(server, deadline) - started) * 1000)
        if variant.name in RELOADS_ON_HUP:
            reload_ms, wait_ms = time_reload(server, n, time.monotonic() + settings.ready_timeout)
            out.reload_ms.append(reload_ms)
            out.reload_wait_ms.append(wait_ms)
    except procs.NotReady as err:
        out.failure = f"{variant.name}: {err}"
    finally:
        procs.stop(server)


def run_cell(
    ctx: Context, app: App, n: int, variants: list[Variant], settings: runner.Settings, rounds: int
) -> list[StartupResult]:
    """`rounds` starts of every variant, interleaved."""
    results = [StartupResult(v.name, v.label_for(app)) for v in variants]
    for _ in range(rounds):
        for variant, out in zip(variants, results, strict=True):
            if not out.failure:
                measure_once(ctx, app, n, variant, settings, out)
    return results
