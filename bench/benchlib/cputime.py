"""CPU time a server spends per request, from /proc/PID/stat of its whole process tree."""

import os

from . import procs

#: Clock ticks per second of /proc's time fields.
HZ = os.sysconf("SC_CLK_TCK")


def tree_ticks(pid: int) -> int:
    """utime + stime of `pid` and of every living descendant (all their threads), plus the
    cutime + cstime each holds for the children it reaped: a worker that exits during the
    window is still counted, by the process that reaped it (uwsgid's and uWSGI's master)."""
    total = 0
    for member in [pid, *procs.descendants(pid)]:
        fields = procs.stat_fields(member)
        if fields is None:
            continue  # it exited meanwhile: its reaper's cutime has it
        # utime, stime, cutime, cstime: fields 14-17 of stat(5), after the pid and the name.
        total += sum(int(v) for v in fields[11:15])
    return total


def us_per_request(before: int, after: int, requests: int) -> float | None:
    """Microseconds of CPU per request between two tree_ticks readings."""
    if requests <= 0:
        return None
    return (after - before) / HZ / requests * 1e6
