"""The table on the terminal, the same rows as JSON, and a small bar chart of the ratios."""

import json
import os
import platform
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime

from benchmarks.stats import aligned


def table(figures):
    rows = [("figure", "ours", "reference", "ratio", "target", "met")]
    for f in figures:
        rows.append(
            (
                f.name,
                str(f.ours),
                f"{f.reference} [{f.reference_name}]" if f.reference else "",
                f"{f.ratio:.2f}" if f.ratio is not None else "",
                f.target,
                {True: "yes", False: "NO", None: ""}[f.met],
            )
        )
    lines = aligned(rows)
    return "\n".join(lines)


def markdown(figures, caption=""):
    """The same table in Markdown, for docs/benchmarks.md; ``caption`` above it (the database, the machine)."""
    lines = [caption, ""] if caption else []
    lines += ["| figure | ours | reference | ratio | target | met |", "| --- | --- | --- | --- | --- | --- |"]
    for f in figures:
        reference = f"{f.reference} ({f.reference_name})" if f.reference else ""
        ratio = f"{f.ratio:.2f}" if f.ratio is not None else ""
        met = {True: "yes", False: "**no**", None: ""}[f.met]
        lines.append(f"| {f.name} | {f.ours} | {reference} | {ratio} | {f.target} | {met} |")
    return "\n".join(lines) + "\n"


def machine():
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"


def write_json(figures, path, *, quick, database="", details=None):
    """The figures, and ``details``: what a step measured beyond its rows (any JSON, dataclasses too)."""
    path.write_text(
        json.dumps(
            {
                "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine(),
                "quick": quick,
                "database": database,
                "figures": [f.as_dict() for f in figures],
                "details": details or {},
            },
            indent=2,
            ensure_ascii=False,
            default=lambda value: asdict(value) if is_dataclass(value) else str(value),
        )
    )


def write_chart(figures, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    judged = [f for f in figures if f.ratio is not None]
    fig, ax = pyplot.subplots(figsize=(9, 0.5 * len(judged) + 1.2))
    names = [f.name if len(f.name) < 58 else f.name[:55] + "…" for f in judged]
    colors = ["#2e7d32" if f.met else "#c62828" if f.met is False else "#607d8b" for f in judged]
    # By position, not by name: two names cut to the same text would share one bar.
    ax.barh(range(len(judged)), [f.ratio for f in judged], color=colors)
    ax.set_yticks(range(len(judged)), names)
    if max(f.ratio for f in judged) > 10:
        ax.set_xscale("log")  # one far-off ratio (a page's megabytes) would squash every other bar
    ax.axvline(1, color="#333", linewidth=0.8)
    for y, f in enumerate(judged):
        ax.text(f.ratio, y, f"  {f.ratio:.2f}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("ours ÷ reference (green: target met, red: missed)")
    ax.set_title(f"uploads benchmark · {datetime.now(UTC):%Y-%m-%d} · {machine()}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
