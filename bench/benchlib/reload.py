"""The reload benchmark: on one server, a steady wrk run, then the same load again while the
master gets SIGHUP every `interval` seconds.

A server that reloads gracefully keeps serving with no errors and a p99 near its steady one;
one that drops connections or queues them behind a restart shows failed requests and a high
p99. One server at a time, so a reload's CPU burst does not disturb the others.
"""

import os
import signal
import subprocess
import time
from dataclasses import dataclass

from . import procs, runner, wrk
from .apps import App
from .servers import Context, Listen, Variant


@dataclass
class ReloadResult:
    name: str
    label: str
    #: The load without reloads, on the same server just before.
    steady: wrk.Sample | None = None
    #: The same load with a SIGHUP every interval.
    reloading: wrk.Sample | None = None
    hups: int = 0
    alive_after: bool = False
    failure: str = ""


def run_one(
    ctx: Context,
    app: App,
    n: int,
    variant: Variant,
    settings: runner.Settings,
    duration: int,
    interval: float,
) -> ReloadResult:
    out = ReloadResult(variant.name, variant.label_for(app))
    listen = Listen(port=procs.free_port())
    if variant.command is None:
        raise ValueError(f"{variant.name} has no command line")
    try:
        server = procs.start(
            f"reload-{app.name}-p{n}-{variant.name}",
            variant.command(ctx, app, n, listen),
            ctx.apps_dir,
            settings.log_dir,
            listen.port,
            stop_signal=variant.stop_signal,
        )
    except OSError as err:
        out.failure = f"{variant.name} could not be started: {err}"
        return out
    try:
        procs.wait_ready(server, settings.ready_timeout)
        load = settings.load.with_connections(app.connections)
        if settings.warmup > 0:
            wrk.run(load, listen.port, app.wrk_args, settings.warmup)
        out.steady = wrk.run(load, listen.port, app.wrk_args, duration)
        out.reloading, out.hups = _load_with_hups(
            server, load, listen.port, app, duration, interval
        )
        out.alive_after = _serving_after(server, settings, out)
    except procs.NotReady as err:
        out.failure = f"{variant.name} did not become ready: {err}"
    except wrk.WrkError as err:
        out.failure = f"{variant.name}: {err}{_exit_note(server)}"
    finally:
        procs.stop(server)
    return out


def _exit_note(server: procs.Server) -> str:
    """Why wrk failed, when the server is the cause: its exit status and log tail."""
    code = server.proc.poll()
    if code is None:
        return ""
    return f"; the server had exited with {code}:\n{server.log_tail()}"


def _serving_after(server: procs.Server, settings: runner.Settings, out: ReloadResult) -> bool:
    """Still serving after the last reload? (the readiness probe, with the same deadline)"""
    try:
        procs.wait_ready(server, settings.ready_timeout)
    except procs.NotReady as err:
        out.failure = f"{out.name} was not serving after the reloads: {err}"
        return False
    return True


def _load_with_hups(
    server: procs.Server, load: wrk.Load, port: int, app: App, duration: int, interval: float
) -> tuple[wrk.Sample, int]:
    hups = 0
    client = wrk.start(load, port, app.wrk_args, duration)
    try:
        # The first SIGHUP half an interval in, then one every interval (a 4 s phase gets two),
        # and none in the last half interval, where its effect would fall after wrk's end.
        started = time.monotonic()
        next_hup = started + interval / 2
        while next_hup <= started + duration - interval / 2:
            try:
                # Waiting on wrk is the clock: it returns early when wrk ends.
                client.wait(timeout=max(0.0, next_hup - time.monotonic()))
                break
            except subprocess.TimeoutExpired:
                pass
            if server.proc.poll() is None:
                server.remember(procs.descendants(server.pid))
                os.kill(server.pid, signal.SIGHUP)
                hups += 1
            next_hup += interval
        stdout, stderr = client.communicate(timeout=duration + 60)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    if client.returncode != 0:
        raise wrk.WrkError(f"wrk exited {client.returncode}: {stderr.strip()[-1000:]}")
    return wrk.parse(stdout, load.connections), hups
