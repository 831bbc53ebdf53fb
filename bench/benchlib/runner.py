"""Runs one cell of the matrix (an app at a process count) over all servers, interleaved.

All servers of a cell are started together on their own ports, then every round runs wrk once
against each server in turn (A B C A B C ...), so slow drifts of a shared machine hit every
server alike. Each server's memory is read `settle` seconds after its own last round, while
every server is idle, so all of them are measured at the same moment after their load.
"""

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cputime, procs, wrk
from .apps import App
from .servers import Context, Listen, Variant


@dataclass
class Result:
    """One row of the table."""

    name: str
    label: str
    samples: list[wrk.Sample] = field(default_factory=list)
    memory: procs.Memory | None = None
    failure: str = ""
    #: CPU µs per request of the server's process tree, one value per round.
    cpu_us: list[float] = field(default_factory=list)
    #: The same for nginx in front (the nginx path), measured over the same window.
    front_cpu_us: list[float] = field(default_factory=list)

    @property
    def rps(self) -> float | None:
        return statistics.median(s.rps for s in self.samples) if self.samples else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpu_us) if self.cpu_us else None

    @property
    def front_cpu(self) -> float | None:
        return statistics.median(self.front_cpu_us) if self.front_cpu_us else None

    @property
    def connections(self) -> int:
        return self.samples[0].connections if self.samples else 0

    @property
    def p99_ms(self) -> float | None:
        return statistics.median(s.p99_ms for s in self.samples) if self.samples else None

    @property
    def active(self) -> float | None:
        return statistics.median(s.active for s in self.samples) if self.samples else None

    def errors(self) -> dict[str, int]:
        """Error counts summed over the rounds, by kind."""
        return error_counts(self.samples)


def error_counts(samples: list[wrk.Sample]) -> dict[str, int]:
    kinds = ("non2xx", "connect", "read", "write", "timeout")
    return {k: sum(getattr(s, k) for s in samples) for k in kinds}


@dataclass
class Settings:
    load: wrk.Load
    rounds: int
    warmup: int
    ready_timeout: float
    log_dir: Path
    #: Seconds between the end of a server's last round and the reading of its memory.
    settle: float = 2.0


@dataclass
class Running:
    """A started server and the port its load goes to (nginx's port on the nginx path)."""

    variant: Variant
    server: procs.Server | None  # None when the command could not be started
    load_port: int
    result: Result
    #: nginx in front of the server (the nginx path), whose CPU is read alongside.
    front: procs.Server | None = None


def start_servers(
    ctx: Context,
    app: App,
    n: int,
    variants: list[Variant],
    settings: Settings,
    listens: dict[str, Listen],
    tag: str,
    started: list[Running],
) -> None:
    """Starts every variant into `started`, which the caller stops even when this raises midway."""
    for variant in variants:
        listen = listens[variant.name]
        if variant.command is None:
            raise ValueError(f"{variant.name} has no command line")
        cmd = variant.command(ctx, app, n, listen)
        result = Result(variant.name, variant.label_for(app))
        try:
            server = procs.start(
                f"{tag}-{variant.name}",
                cmd,
                ctx.apps_dir,
                settings.log_dir,
                listen.port,
                stop_signal=variant.stop_signal,
            )
        except OSError as err:
            result.failure = f"{variant.name} could not be started: {cmd[0]}: {err}"
            server = None
        started.append(Running(variant, server, listen.port, result))


def run_rounds(running: list[Running], app: App, settings: Settings) -> None:
    """Readiness, warm-up, interleaved rounds and memory, for every server still healthy."""
    for item in running:
        if item.server is None:
            continue
        try:
            procs.wait_ready(item.server, settings.ready_timeout)
        except procs.NotReady as err:
            item.result.failure = f"{item.variant.name} did not become ready: {err}"
            procs.stop(item.server)
    healthy = [r for r in running if r.server is not None and not r.result.failure]
    for item in healthy:
        if settings.warmup > 0:
            _measure(item, app, settings, settings.warmup, keep=False)
    for last in range(settings.rounds - 1, -1, -1):
        for item in healthy:
            if not item.result.failure:
                _measure(item, app, settings, settings.load.duration, keep=True)
            if last == 0 and not item.result.failure:
                _read_memory(item, settings.settle)


def _read_memory(item: Running, settle: float) -> None:
    """Memory after `settle` idle seconds: the same moment after the load for every server, a
    fixed wait by design (what a server frees once idle is part of what is measured)."""
    assert item.server is not None  # only healthy servers are measured
    time.sleep(settle)
    item.result.memory = procs.measure_memory(item.server)


def _measure(item: Running, app: App, settings: Settings, duration: int, keep: bool) -> None:
    assert item.server is not None  # only healthy servers are measured
    if item.server.proc.poll() is not None:
        item.result.failure = (
            f"{item.variant.name} exited with {item.server.proc.returncode} "
            f"during the load:\n{item.server.log_tail()}"
        )
        return
    load = settings.load.with_connections(app.connections)
    server_before = cputime.tree_ticks(item.server.pid)
    front_before = cputime.tree_ticks(item.front.pid) if item.front else 0
    try:
        sample = wrk.run(load, item.load_port, app.wrk_args, duration)
    except wrk.WrkError as err:
        item.result.failure = f"{item.variant.name}: {err}"
        return
    server_after = cputime.tree_ticks(item.server.pid)
    front_after = cputime.tree_ticks(item.front.pid) if item.front else 0
    if not keep:
        return
    item.result.samples.append(sample)
    cpu = cputime.us_per_request(server_before, server_after, sample.requests)
    if cpu is not None:
        item.result.cpu_us.append(cpu)
    front = cputime.us_per_request(front_before, front_after, sample.requests)
    if item.front and front is not None:
        item.result.front_cpu_us.append(front)


def stop_all(running: list[Running]) -> None:
    procs.stop_all([item.server for item in running if item.server is not None])


def run_cell(
    ctx: Context, app: App, n: int, variants: list[Variant], settings: Settings
) -> list[Result]:
    """The HTTP comparison for one app at `n` processes."""
    listens = {v.name: Listen(port=procs.free_port()) for v in variants}
    running: list[Running] = []
    try:
        start_servers(ctx, app, n, variants, settings, listens, f"{app.name}-p{n}", running)
        run_rounds(running, app, settings)
    finally:
        stop_all(running)
    return [r.result for r in running]
