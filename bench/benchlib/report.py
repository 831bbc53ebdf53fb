"""Markdown of the HTTP and nginx tables, with the ratios of uwsgid to every other server, and
the numbered notes below all tables (failures, and rows whose errors make them incomparable)."""

from .nginx import CEILING
from .runner import Result, error_counts
from .wrk import Sample

REFERENCE = "uwsgid"
DASH = "–"
#: uWSGI --http-socket closes every connection without `Connection: close`; wrk counts each
#: reconnect as a read error although the request succeeded. Only these errors are expected.
EXPECTED_READ_ERRORS = frozenset({"uwsgi-http"})


class Notes:
    """Numbered notes below the tables (a table cell only carries the number)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.texts: list[str] = []

    def add(self, where: str, text: str) -> int:
        """The note's number; the same text in several cells shares one note."""
        text = text.strip()
        if text not in self.texts:
            self.texts.append(text)
            self.items.append(f"{where}: {text}")
        return self.texts.index(text) + 1

    def failed(self, where: str, text: str) -> str:
        return f"failed [{self.add(where, text)}]"

    def render(self) -> list[str]:
        if not self.items:
            return []
        out = ["", "### Notes", ""]
        for i, item in enumerate(self.items, 1):
            head, _, tail = item.partition("\n")
            out.append(f"{i}. {head}")
            if tail:
                out += ["", "   ```", *("   " + line for line in tail.splitlines()), "   ```"]
        return out


def mib(kib: float | None) -> str:
    return DASH if kib is None else f"{kib / 1024:.1f}"


def rps(value: float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"


def ms(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def us(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f}"


def ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return DASH
    return f"{ours / theirs:.2f}×"


#: Below this share of the connections busy, the row's req/s and p99 describe a few
#: connections only (the others waited), and the cell says so.
STARVED_SHARE = 0.25


def active(value: float | None, connections: int) -> str:
    """Capped at the connection count: wrk's latency correction can push the estimate above."""
    if value is None:
        return DASH
    text = f"{min(value, connections):.0f}"
    return f"{text} (starved)" if value < STARVED_SHARE * connections else text


def errors(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if total == 0:
        return "0"
    kinds = ", ".join(f"{k.replace('non2xx', 'non-2xx')} {v}" for k, v in counts.items() if v)
    return f"{total} ({kinds})"


def unexpected_errors(name: str, samples: list[Sample]) -> dict[str, int]:
    """Error counts a comparison must not ignore: all but uWSGI --http-socket's read errors."""
    counts = error_counts(samples)
    if name in EXPECTED_READ_ERRORS:
        counts["read"] = 0
    return {k: v for k, v in counts.items() if v}


def error_mark(name: str, samples: list[Sample], notes: Notes, where: str) -> str:
    """` (errors [n])` after a row label whose wrk runs failed requests or broke connections."""
    bad = unexpected_errors(name, samples)
    if not bad:
        return ""
    n = notes.add(
        where,
        f"wrk reported {errors(bad)}: failed requests or broken connections, so this row's "
        "req/s and latency are not comparable with the others as they stand",
    )
    return f" (errors [{n}])"


def _total_pss(result: Result) -> float | None:
    return result.memory.total_pss if result.memory else None


MATRIX_HEAD = (
    "| app | procs | server | req/s | p99 ms | busy conns | errors | CPU µs/req{front} "
    "| worker RSS MiB | worker PSS MiB | master RSS / PSS MiB | other PSS MiB | total PSS MiB "
    "| uwsgid÷ req/s | uwsgid÷ p99 | uwsgid÷ CPU | uwsgid÷ total PSS |"
)


def matrix_table(
    cells: list[tuple[str, int, list[Result]]], notes: Notes, title: str, front: bool = False
) -> list[str]:
    """One row per app × processes × server; ratios are uwsgid ÷ that row's server. `front`
    adds nginx's own CPU per request (the nginx path)."""
    columns = 17 + (1 if front else 0)
    out = [
        MATRIX_HEAD.format(front=" | nginx CPU µs/req" if front else ""),
        "|---|--:|---|" + "--:|" * (columns - 3),
    ]
    for app, n, results in cells:
        ref = next((r for r in results if r.name == REFERENCE and not r.failure), None)
        for r in results:
            where = f"{title}, {app}, {n} proc, {r.label}"
            if r.failure and not r.samples:
                cell = notes.failed(where, r.failure)
                out.append(f"| {app} | {n} | {r.label} | {cell} |" + f" {DASH} |" * (columns - 4))
            else:
                out.append(_matrix_row(app, n, r, ref, notes, where, front))
    return out


def _matrix_row(
    app: str, n: int, r: Result, ref: Result | None, notes: Notes, where: str, front: bool
) -> str:
    mem = r.memory
    failed = f" ({notes.failed(where, r.failure)})" if r.failure else ""
    marked = error_mark(r.name, r.samples, notes, where)
    is_ref = ref is not None and r is ref
    # Against nginx alone only the req/s share means something (how near the ceiling).
    no_ratio = is_ref or r.name == CEILING
    cols = [
        app,
        str(n),
        r.label + failed + marked,
        rps(r.rps),
        ms(r.p99_ms),
        active(r.active, r.connections),
        errors(r.errors()),
        us(r.cpu),
        *([DASH if r.name == CEILING else us(r.front_cpu)] if front else []),
        mib(mem.worker_rss_mean if mem else None),
        mib(mem.worker_pss_mean if mem else None),
        f"{mib(mem.master_rss)} / {mib(mem.master_pss)}" if mem else DASH,
        mib(mem.aux_pss if mem else None),
        mib(mem.total_pss if mem else None),
        DASH if is_ref else ratio(ref.rps if ref else None, r.rps),
        DASH if no_ratio else ratio(ref.p99_ms if ref else None, r.p99_ms),
        DASH if no_ratio else ratio(ref.cpu if ref else None, r.cpu),
        DASH if no_ratio else ratio(_total_pss(ref) if ref else None, _total_pss(r)),
    ]
    return "| " + " | ".join(cols) + " |"
