"""Markdown tables of the results, with the ratios of uwsgid to every other server."""

from .nginx import CEILING
from .reload import ReloadResult
from .runner import Result, error_counts

REFERENCE = "uwsgid"
DASH = "–"


class Notes:
    """Numbered failure notes below the tables (a table cell only carries the number)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.texts: list[str] = []

    def add(self, where: str, text: str) -> str:
        """Returns the cell text; the same failure text in several cells shares one note."""
        text = text.strip()
        if text not in self.texts:
            self.texts.append(text)
            self.items.append(f"{where}: {text}")
        return f"failed [{self.texts.index(text) + 1}]"

    def render(self) -> list[str]:
        if not self.items:
            return []
        out = ["", "### Failures", ""]
        for i, item in enumerate(self.items, 1):
            head, _, tail = item.partition("\n")
            out.append(f"{i}. {head}")
            if tail:
                out += ["", "   ```", *("   " + line for line in tail.splitlines()), "   ```"]
        return out


def _mib(kib: float | None) -> str:
    return DASH if kib is None else f"{kib / 1024:.1f}"


def _rps(value: float | None) -> str:
    return DASH if value is None else f"{value:,.0f}"


def _ms(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return DASH
    return f"{ours / theirs:.2f}×"


#: Below this share of the connections busy, the row's req/s and p99 describe a few
#: connections only (the others waited), and the cell says so.
STARVED_SHARE = 0.25


def _active(value: float | None, connections: int) -> str:
    """Capped at the connection count: wrk's latency correction can push the estimate above."""
    if value is None:
        return DASH
    text = f"{min(value, connections):.0f}"
    return f"{text} (starved)" if value < STARVED_SHARE * connections else text


def _errors(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if total == 0:
        return "0"
    kinds = ", ".join(f"{k.replace('non2xx', 'non-2xx')} {v}" for k, v in counts.items() if v)
    return f"{total} ({kinds})"


def _total_pss(result: Result) -> float | None:
    return result.memory.total_pss if result.memory else None


def matrix_table(
    cells: list[tuple[str, int, list[Result]]], notes: Notes, title: str, connections: int
) -> list[str]:
    """One row per app × processes × server; ratios are uwsgid ÷ that row's server."""
    out = [
        "| app | procs | server | req/s | p99 ms | busy conns | errors | worker RSS MiB "
        "| worker PSS MiB "
        "| master RSS / PSS MiB | other PSS MiB | total PSS MiB | uwsgid÷ req/s | uwsgid÷ p99 "
        "| uwsgid÷ total PSS |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for app, n, results in cells:
        ref = next((r for r in results if r.name == REFERENCE and not r.failure), None)
        for r in results:
            out.append(_matrix_row(app, n, r, ref, notes, title, connections))
    return out


def _matrix_row(
    app: str, n: int, r: Result, ref: Result | None, notes: Notes, title: str, connections: int
) -> str:
    if r.failure and not r.samples:
        cell = notes.add(f"{title}, {app}, {n} proc, {r.label}", r.failure)
        return f"| {app} | {n} | {r.label} | {cell} |" + f" {DASH} |" * 11
    mem = r.memory
    where = f"{title}, {app}, {n} proc, {r.label}"
    failed = f" ({notes.add(where, r.failure)})" if r.failure else ""
    is_ref = ref is not None and r is ref
    cols = [
        app,
        str(n),
        r.label + failed,
        _rps(r.rps),
        _ms(r.p99_ms),
        _active(r.active, connections),
        _errors(r.errors()),
        _mib(mem.worker_rss_mean if mem else None),
        _mib(mem.worker_pss_mean if mem else None),
        f"{_mib(mem.master_rss)} / {_mib(mem.master_pss)}" if mem else DASH,
        _mib(mem.aux_pss if mem else None),
        _mib(mem.total_pss if mem else None),
        DASH if is_ref else _ratio(ref.rps if ref else None, r.rps),
        # Against nginx alone only the req/s share means something (how near the ceiling).
        DASH if is_ref or r.name == CEILING else _ratio(ref.p99_ms if ref else None, r.p99_ms),
        DASH
        if is_ref or r.name == CEILING
        else _ratio(_total_pss(ref) if ref else None, _total_pss(r)),
    ]
    return "| " + " | ".join(cols) + " |"


def reload_table(
    rows: list[tuple[str, int, list[ReloadResult]]], notes: Notes, connections: int
) -> list[str]:
    out = [
        "| app | procs | server | req/s | p99 ms | busy conns | errors | SIGHUPs | serving after "
        "| uwsgid÷ req/s | uwsgid÷ p99 |",
        "|---|--:|---|--:|--:|--:|--:|--:|---|--:|--:|",
    ]
    for app, n, results in rows:
        ref = next((r for r in results if r.name == REFERENCE and r.sample), None)
        for r in results:
            s = r.sample
            failed = (
                f" ({notes.add(f'reload, {app}, {n} proc, {r.label}', r.failure)})"
                if r.failure
                else ""
            )
            is_ref = ref is not None and r is ref
            ref_s = ref.sample if ref else None
            cols = [
                app,
                str(n),
                r.label + failed,
                _rps(s.rps if s else None),
                _ms(s.p99_ms if s else None),
                _active(s.active if s else None, connections),
                _errors(error_counts([s])) if s else DASH,
                str(r.hups),
                "yes" if r.alive_after else "no",
                DASH if is_ref else _ratio(ref_s.rps if ref_s else None, s.rps if s else None),
                DASH
                if is_ref
                else _ratio(ref_s.p99_ms if ref_s else None, s.p99_ms if s else None),
            ]
            out.append("| " + " | ".join(cols) + " |")
    return out
