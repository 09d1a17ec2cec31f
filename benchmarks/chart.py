"""``python -m benchmarks.chart``: the recorded benchmark as an SVG chart, for docs/benchmarks.md.

Reads a results file that ``python -m benchmarks`` wrote (``benchmarks/results/full.json`` by
default) and draws one bar per figure that has a reference: ours ÷ the reference, with a line at
1×, coloured by whether the figure's target was met. Standard library only, so the docs can be
redrawn without the benchmark's own dependencies; the output depends on the results alone, so
redrawing unchanged results changes nothing.
"""

import argparse
import json
import math
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "full.json"
OUT = HERE.parent / "docs" / "benchmarks.svg"

WIDTH = 820
LEFT = 16  # where labels and bars start
PLOT = 520  # the bars' full width, for the scale's largest tick
ROW = 60  # the figure's name, its reference, the bar, and a gap
TOP = 78  # title, subtitle, legend
COLOURS = {True: "#2e7d32", False: "#c62828", None: "#607d8b"}
VERDICTS = {True: "target met", False: "target not met", None: "no target"}


def load(path=RESULTS):
    return json.loads(Path(path).read_text())


def compared(results):
    """The figures that have a ratio (ours ÷ a reference), in the results' order."""
    return [figure for figure in results["figures"] if figure.get("ratio") is not None]


def ratio_text(ratio):
    return f"{ratio:.2f}×"


def _scale(figures):
    """The largest tick: the largest ratio rounded up to a half, and never under 1.5."""
    largest = max(figure["ratio"] for figure in figures)
    return max(1.5, math.ceil(largest * 2) / 2)


def _x(ratio, scale):
    return LEFT + PLOT * ratio / scale


def _text(x, y, content, *, size=12, anchor="start", weight="normal", fill="#222", halo=False):
    # A halo: a white outline under the letters, so the scale's lines never run through a value.
    outline = ' stroke="#fff" stroke-width="4" paint-order="stroke"' if halo else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}"{outline}>{escape(content)}</text>'
    )


def render(results):
    """The chart as SVG text."""
    figures = compared(results)
    scale = _scale(figures)
    height = TOP + ROW * len(figures) + 40
    date = results["date"][:10]
    kind = "quick run" if results.get("quick") else "full run"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="title desc" '
        'font-family="DejaVu Sans, Verdana, sans-serif">',
        f'<title id="title">Benchmark, {kind} of {date}: ours against each reference</title>',
        '<desc id="desc">'
        + escape(
            "; ".join(
                f"{figure['name']}: {ratio_text(figure['ratio'])} of {figure['reference_name']}"
                + (f", target {figure['target']}, {VERDICTS[figure['met']]}" if figure["target"] else "")
                for figure in figures
            )
        )
        + "</desc>",
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        _text(
            LEFT, 24, f"Ours ÷ the reference, {kind} of {date} ({results['machine']})", size=15, weight="bold"
        ),
        _text(
            LEFT,
            44,
            "Each row's target says whether more or less is better. Median of several repetitions.",
            size=12,
            fill="#555",
        ),
    ]
    legend_x = LEFT
    for met in (True, False, None):
        parts.append(f'<rect x="{legend_x}" y="56" width="12" height="12" fill="{COLOURS[met]}"/>')
        parts.append(_text(legend_x + 17, 66, VERDICTS[met], size=12))
        legend_x += 130

    bottom = TOP + ROW * len(figures)
    ticks = [step / 2 for step in range(int(scale * 2) + 1)]
    for tick in ticks:
        parts.append(_text(_x(tick, scale), bottom + 16, f"{tick:g}×", size=11, anchor="middle", fill="#555"))

    for row, figure in enumerate(figures):
        y = TOP + ROW * row
        parts.append(_text(LEFT, y + 12, figure["name"], size=12))
        parts.append(_text(LEFT, y + 27, f"reference: {figure['reference_name']}", size=11, fill="#555"))
        for tick in ticks:  # the scale behind each bar only, so no line crosses a label
            x = _x(tick, scale)
            colour, width = ("#333", 1.2) if tick == 1 else ("#ddd", 1)
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 31}" x2="{x:.1f}" y2="{y + 51}" '
                f'stroke="{colour}" stroke-width="{width}"/>'
            )
        end = _x(figure["ratio"], scale)
        fill = COLOURS[figure["met"]]
        parts.append(f'<rect x="{LEFT}" y="{y + 33}" width="{end - LEFT:.1f}" height="16" fill="{fill}"/>')
        value = ratio_text(figure["ratio"]) + (f" · target {figure['target']}" if figure["target"] else "")
        parts.append(
            _text(end + 6, y + 46, value, size=12, weight="bold" if figure["target"] else "normal", halo=True)
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.chart", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="a JSON file of python -m benchmarks (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, default=OUT, help="the SVG to write (default: %(default)s)")
    args = parser.parse_args(argv)
    args.out.write_text(render(load(args.results)))
    print(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
