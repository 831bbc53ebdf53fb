"""Markdown of the start-up table: exec → first 200, and SIGHUP → the new generation serving."""

import statistics

from . import report
from .startup import StartupResult

DASH = report.DASH


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _spread(values: list[float]) -> str:
    return f"{min(values):.0f}–{max(values):.0f}" if values else DASH


def startup_table(
    rows: list[tuple[str, int, list[StartupResult]]], notes: report.Notes
) -> list[str]:
    out = [
        "| app | procs | server | exec → first 200 ms | min–max ms | starts "
        "| SIGHUP → new generation serving ms | min–max ms | longest wait for an answer "
        "during the reload ms | uwsgid÷ start | uwsgid÷ reload |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for app, n, results in rows:
        ref = next((r for r in results if r.name == report.REFERENCE and r.start_ms), None)
        for r in results:
            out.append(_row(app, n, r, ref, notes))
    return out


def _row(app: str, n: int, r: StartupResult, ref: StartupResult | None, notes: report.Notes) -> str:
    where = f"start-up, {app}, {n} proc, {r.label}"
    failed = f" ({notes.failed(where, r.failure)})" if r.failure else ""
    start, reload = _median(r.start_ms), _median(r.reload_ms)
    is_ref = ref is not None and r is ref
    cols = [
        app,
        str(n),
        r.label + failed,
        f"{start:.0f}" if start is not None else DASH,
        _spread(r.start_ms),
        str(len(r.start_ms)),
        f"{reload:.0f}" if reload is not None else DASH,
        _spread(r.reload_ms),
        f"{max(r.reload_wait_ms):.0f}" if r.reload_wait_ms else DASH,
        DASH if is_ref else report.ratio(_median(ref.start_ms) if ref else None, start),
        DASH if is_ref else report.ratio(_median(ref.reload_ms) if ref else None, reload),
    ]
    return "| " + " | ".join(cols) + " |"
