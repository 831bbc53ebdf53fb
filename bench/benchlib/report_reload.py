"""Markdown of the reload table: each server's steady run and its run under SIGHUPs, side by
side, with the ratio of the two p99s."""

from . import report
from .reload import ReloadResult
from .runner import error_counts
from .wrk import Sample

DASH = report.DASH


def _failed(sample: Sample | None) -> str:
    return report.errors(error_counts([sample])) if sample else DASH


def reload_table(rows: list[tuple[str, int, list[ReloadResult]]], notes: report.Notes) -> list[str]:
    out = [
        "| app | procs | server | steady req/s | steady p99 ms | reloads req/s | reloads p99 ms "
        "| p99 reloads÷steady | failed (steady) | failed (reloads) | busy conns (reloads) "
        "| SIGHUPs | serving after | uwsgid÷ reloads p99 |",
        "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|",
    ]
    for app, n, results in rows:
        ref = next((r for r in results if r.name == report.REFERENCE and r.reloading), None)
        for r in results:
            out.append(_row(app, n, r, ref, notes))
    return out


def _row(app: str, n: int, r: ReloadResult, ref: ReloadResult | None, notes: report.Notes) -> str:
    where = f"reload, {app}, {n} proc, {r.label}"
    failed = f" ({notes.failed(where, r.failure)})" if r.failure else ""
    steady, hup = r.steady, r.reloading
    ref_p99 = ref.reloading.p99_ms if ref and ref.reloading else None
    cols = [
        app,
        str(n),
        r.label + failed,
        report.rps(steady.rps if steady else None),
        report.ms(steady.p99_ms if steady else None),
        report.rps(hup.rps if hup else None),
        report.ms(hup.p99_ms if hup else None),
        report.ratio(hup.p99_ms if hup else None, steady.p99_ms if steady else None),
        _failed(steady),
        _failed(hup),
        report.active(hup.active, hup.connections) if hup else DASH,
        str(r.hups),
        "yes" if r.alive_after else "no",
        DASH if r is ref else report.ratio(ref_p99, hup.p99_ms if hup else None),
    ]
    return "| " + " | ".join(cols) + " |"
