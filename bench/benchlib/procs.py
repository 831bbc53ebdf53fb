"""Starting, probing, measuring and stopping server processes.

Every process is started in its own session (so a Ctrl-C in the terminal reaches only the
benchmark, which then stops the servers itself) and is ended by pid, with its descendants.
"""

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

#: Helper processes that are neither the master nor a worker (their PSS is reported apart).
AUX_MARKERS = ("resource_tracker", "semaphore_tracker", "forkserver")
#: uwsgid's zygote: its process title (`uwsgid zygote`), or its command line (`__zygote`) for a
#: uwsgid without process titles, whose workers are forked from it and keep that command line;
#: so only the earliest-started process with a marker is the zygote.
ZYGOTE_MARKERS = ("uwsgid zygote", "__zygote")


class NotReady(RuntimeError):
    """A server did not answer 200 before its deadline, or exited."""


def free_port() -> int:
    """A loopback port that is free now (the kernel picks it; the server binds it soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One started server: its master process, log file and where to reach it over HTTP."""

    name: str
    proc: subprocess.Popen
    log_path: Path
    port: int
    stop_signal: int = signal.SIGINT
    # pid -> start time (clock ticks since boot): a pid is only signalled while it still
    # names the same process, never a newer one that reused the number.
    known_pids: dict[int, int] = field(default_factory=dict)

    def remember(self, pids: list[int]) -> None:
        for pid in pids:
            started = start_time(pid)
            if started is not None:
                self.known_pids.setdefault(pid, started)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, lines: int = 12) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as err:
            return f"(no log: {err})"
        return "\n".join(text.strip().splitlines()[-lines:]) or "(empty log)"


def start(
    name: str,
    cmd: list[str],
    cwd: Path,
    log_dir: Path,
    port: int,
    env: dict | None = None,
    stop_signal: int = signal.SIGINT,
) -> Server:
    """Starts `cmd` with stdout+stderr in log_dir/<name>.log."""
    log_path = log_dir / f"{name}.log"
    with open(log_path, "wb") as log_file:
        log_file.write(("$ " + " ".join(cmd) + "\n").encode())
        log_file.flush()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    server = Server(name, proc, log_path, port, stop_signal)
    server.remember([proc.pid])
    return server


def http_status(port: int, path: str = "/", timeout: float = 1.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def wait_ready(server: Server, deadline_s: float, probe_port: int | None = None) -> None:
    """Polls GET / on the server (or on `probe_port`, e.g. nginx in front) until it answers 200.

    Raises NotReady with the log tail when the deadline passes or the master exits.
    """
    port = probe_port or server.port
    deadline = time.monotonic() + deadline_s
    last = "no answer"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise NotReady(
                f"exited with {server.proc.returncode} before it answered 200:\n{server.log_tail()}"
            )
        try:
            status = http_status(port)
            if status == 200:
                return
            last = f"HTTP {status}"
        except (OSError, http.client.HTTPException) as err:
            last = f"{type(err).__name__}: {err}"
        time.sleep(0.05)  # poll interval, bounded by the deadline above
    raise NotReady(f"no 200 within {deadline_s:.0f} s (last: {last}):\n{server.log_tail()}")


def stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may contain spaces)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rfind(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    fields = stat_fields(pid)
    return int(fields[19]) if fields else None


def children_map() -> dict[int, list[int]]:
    """ppid -> pids for every process, from /proc/*/stat."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = stat_fields(int(entry))
        if fields is None:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    tree = children_map()
    found: list[int] = []
    stack = list(tree.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(tree.get(child, []))
    return sorted(found)


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        return raw.replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def smaps_rollup(pid: int) -> tuple[int, int] | None:
    """(RSS, PSS) in KiB from /proc/PID/smaps_rollup, or None if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("Rss:", "Pss:"):
            values[parts[0]] = int(parts[1])
    if "Rss:" not in values or "Pss:" not in values:
        return None
    return values["Rss:"], values["Pss:"]


@dataclass
class Memory:
    """Memory of one server after its runs, in KiB."""

    master_rss: int
    master_pss: int
    worker_rss_mean: float
    worker_pss_mean: float
    workers: int
    aux_pss: int
    total_pss: int


def measure_memory(server: Server) -> Memory | None:
    """Master + workers (its descendants) + aux helpers (zygote, resource tracker)."""
    master = smaps_rollup(server.pid)
    if master is None:
        return None
    kids = descendants(server.pid)
    server.remember(kids)
    aux = _aux_pids(kids)
    workers: list[tuple[int, int]] = []
    aux_pss = 0
    for pid in kids:
        usage = smaps_rollup(pid)
        if usage is None:
            continue
        if pid in aux:
            aux_pss += usage[1]
        else:
            workers.append(usage)
    count = len(workers)
    w_rss = sum(w[0] for w in workers) / count if count else 0.0
    w_pss = sum(w[1] for w in workers) / count if count else 0.0
    total = master[1] + aux_pss + sum(w[1] for w in workers)
    return Memory(master[0], master[1], w_rss, w_pss, count, aux_pss, total)


def _aux_pids(pids: list[int]) -> set[int]:
    lines = {pid: cmdline(pid) for pid in pids}
    aux = {pid for pid, line in lines.items() if any(m in line for m in AUX_MARKERS)}
    zygotes = [
        (start_time(pid) or 0, pid)
        for pid, line in lines.items()
        if any(m in line for m in ZYGOTE_MARKERS)
    ]
    if zygotes:
        aux.add(min(zygotes)[1])
    return aux


def stop(server: Server, grace_s: float = 5.0) -> None:
    """Sends the server's stop signal to its master, waits up to `grace_s`, then SIGKILLs
    the master and every descendant seen, by pid."""
    stop_all([server], grace_s)


def stop_all(servers: list[Server], grace_s: float = 5.0) -> None:
    """`stop` for several servers, whose masters all get their stop signal at once, so their
    shutdowns (uWSGI takes a second) overlap."""
    running = [s for s in servers if s.proc.poll() is None]
    for server in running:
        server.remember(descendants(server.pid))
        _signal(server.pid, server.stop_signal)
    for server in running:
        try:
            server.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            server.remember(descendants(server.pid))
            _signal(server.pid, signal.SIGKILL)
            server.proc.wait(timeout=grace_s)
    for server in servers:
        _end_leftovers(server, grace_s)
        trim_log(server.log_path)


def _end_leftovers(server: Server, grace_s: float) -> None:
    """Workers re-parented to init (or to a subreaper that died first) are ended by pid too."""
    deadline = time.monotonic() + grace_s
    leftover = [p for p in server.known_pids if p != server.pid and still_alive(server, p)]
    while leftover and time.monotonic() < deadline:
        time.sleep(0.05)
        leftover = [p for p in leftover if still_alive(server, p)]
    for pid in leftover:
        _signal(pid, signal.SIGKILL)


#: Logs above this size are cut to their head and tail once the server is stopped (a server
#: that logs every request writes hundreds of MB in a full run).
LOG_KEEP_BYTES = 1 << 20


def trim_log(path: Path, head_lines: int = 40, tail_lines: int = 200) -> None:
    try:
        size = path.stat().st_size
        if size <= LOG_KEEP_BYTES:
            return
        with open(path, "rb") as f:
            head = b"".join(f.readline() for _ in range(head_lines))
            f.seek(max(0, size - LOG_KEEP_BYTES // 4))
            tail = f.read().splitlines(keepends=True)[1:][-tail_lines:]
        marker = f"... [{size} bytes in all; the middle was cut by bench/run] ...\n".encode()
        path.write_bytes(head + marker + b"".join(tail))
    except OSError:
        pass  # the log is a convenience; the measurements do not depend on it


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it already exited: nothing to end
        os.kill(pid, sig)


def still_alive(server: Server, pid: int) -> bool:
    """True while `pid` is still the process we saw (same start time) and not a zombie."""
    fields = stat_fields(pid)
    if fields is None or fields[0] == "Z":
        return False
    return int(fields[19]) == server.known_pids.get(pid)
