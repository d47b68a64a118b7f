"""Figures and the plain-text table `make bench` prints (figure | value | target | ok?)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure; `ok` is None when the figure has no target (context only)."""

    name: str
    value: str
    target: str = "-"
    ok: bool | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def kib(size: float) -> str:
    return f"{size / 1024:.1f} KB"


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 1,400 samples is the 1,330th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def table(figures: Iterable[Figure]) -> str:
    """The figures as an aligned plain-text table, one line per figure."""
    return grid(["figure", "value", "target", "ok?"],
                [[f.name, f.value, f.target, "-" if f.ok is None else ("yes" if f.ok else "NO")] for f in figures])


def grid(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """An aligned plain-text table: the header, a rule, one line per row."""
    lines_of = [list(header), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in lines_of) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in lines_of]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
