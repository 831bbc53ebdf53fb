"""Runs wrk with bench/apps/wrk.lua and reads the exact statistics the script prints."""

import dataclasses
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

MARKER = "WRK_JSON "


class WrkError(RuntimeError):
    """wrk failed or printed no statistics."""


@dataclass
class Load:
    """How hard to push: the same for every server in a run."""

    wrk: str
    script: Path
    duration: int  # whole seconds: wrk's -d takes no fractions
    connections: int
    threads: int
    timeout_s: int = 2

    def with_connections(self, connections: int) -> "Load":
        """The same load with another connection count (0 keeps this one's)."""
        return dataclasses.replace(self, connections=connections) if connections else self


@dataclass
class Sample:
    """One wrk run."""

    requests: int
    rps: float
    p99_ms: float
    mean_ms: float
    non2xx: int  # wrk counts status >= 400 (no 3xx answers here)
    connect: int
    read: int  # includes reconnects after a server closed without `Connection: close`
    write: int
    timeout: int  # requests older than --timeout, counted at each of wrk's 2 s checks
    connections: int  # wrk's -c for this run

    @property
    def active(self) -> float:
        """Connections busy on average (Little's law: req/s × mean latency).

        Far below the connection count means connections were starved: e.g. a single-threaded
        keep-alive worker serves one connection while the others wait and never complete.
        """
        return self.rps * self.mean_ms / 1000.0

    @property
    def socket_errors(self) -> int:
        return self.connect + self.read + self.write + self.timeout


def command(
    load: Load, port: int, wrk_args: tuple[str, ...], duration: int | None = None
) -> list[str]:
    secs = max(1, duration if duration is not None else load.duration)
    # wrk needs at least one connection per thread.
    threads = max(1, min(load.threads, load.connections))
    return [
        load.wrk,
        f"-t{threads}",
        f"-c{load.connections}",
        f"-d{secs}s",
        f"--timeout={load.timeout_s}s",
        "-s",
        str(load.script),
        f"http://127.0.0.1:{port}/",
        "--",
        *wrk_args,
    ]


def parse(output: str, connections: int) -> Sample:
    for line in output.splitlines():
        if line.startswith(MARKER):
            data = json.loads(line[len(MARKER) :])
            secs = data["duration_us"] / 1e6
            return Sample(
                requests=data["requests"],
                rps=data["requests"] / secs if secs > 0 else 0.0,
                p99_ms=data["p99_us"] / 1000.0,
                mean_ms=data["mean_us"] / 1000.0,
                non2xx=data["status"],
                connect=data["connect"],
                read=data["read"],
                write=data["write"],
                timeout=data["timeout"],
                connections=connections,
            )
    raise WrkError(f"wrk printed no statistics:\n{output[-2000:]}")


def run(load: Load, port: int, wrk_args: tuple[str, ...], duration: int | None = None) -> Sample:
    cmd = command(load, port, wrk_args, duration)
    secs = duration if duration is not None else load.duration
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60, check=False)
    except subprocess.TimeoutExpired as err:
        raise WrkError(f"wrk did not finish: {' '.join(cmd)}") from err
    if proc.returncode != 0:
        raise WrkError(f"wrk exited {proc.returncode}: {proc.stderr.strip()[-1000:]}")
    return parse(proc.stdout, load.connections)


def start(load: Load, port: int, wrk_args: tuple[str, ...], duration: int) -> subprocess.Popen:
    """Starts wrk in the background (the reload benchmark signals the server meanwhile)."""
    return subprocess.Popen(
        command(load, port, wrk_args, duration),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
