"""Repeat a measurement and keep median, min and max: these machines are shared and noisy."""

import statistics
import time
from dataclasses import asdict, dataclass

from benchmarks.errors import BenchmarkError


@dataclass(frozen=True)
class Stat:
    median: float
    low: float
    high: float
    unit: str

    @classmethod
    def of(cls, samples, unit):
        samples = list(samples)
        if not samples:
            raise BenchmarkError(f"no samples to summarise (in {unit})")
        return cls(statistics.median(samples), min(samples), max(samples), unit)

    @classmethod
    def once(cls, value, unit):
        """A figure measured once, or counted: no spread."""
        return cls(value, value, value, unit)

    def __str__(self):
        return f"{_num(self.median)} {self.unit} ({_num(self.low)}–{_num(self.high)})"


def _num(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def rate(action, count, repetitions):
    """Calls per second of ``action()`` over ``count`` calls, once per repetition."""
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(count):
            action()
        samples.append(count / (time.perf_counter() - start))
    return Stat.of(samples, "/s")


@dataclass
class Figure:
    """One row of the table: our number, the reference it is judged against, the target."""

    name: str
    ours: Stat
    reference: Stat | None = None
    reference_name: str = ""
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def ratio(self):
        if not self.reference or not self.reference.median:
            return None
        return self.ours.median / self.reference.median

    def as_dict(self):
        data = asdict(self)
        data["ratio"] = self.ratio
        return data


def aligned(rows):
    """Rows of strings as lines of left-aligned columns, the first row a header underlined with dashes."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines
