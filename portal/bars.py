"""Horizontal bar charts computed on the server: geometry for an SVG with no script in it.

One row per category (a month, a case manager, a resource category), with its label on
the left, so long names and many rows fit a phone. Several series are either stacked
(parts of one whole: contacts by type) or grouped (figures side by side).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

WIDTH = 640
LEFT, RIGHT, TOP, BOTTOM = 150, 56, 8, 28
ROW, GAP = 22, 8
# Longer category names are shortened on the chart (the table beside it has them whole).
LABEL_CHARS = 22
# Dark enough against white for the 3:1 that graphics need (WCAG 1.4.11).
FILLS = ("#1f5f5b", "#b5531a", "#3b5ba5", "#8a3f8f", "#5a7a12", "#a4262c", "#5f6b70")


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str  # "<category>, <series>: <value>", the bar's own tooltip
    text: str  # the value written after the bar ("" inside a stack)
    text_x: float
    text_y: float


@dataclass
class Row:
    label: str
    y: float  # baseline of the category label
    total_x: float
    total: str  # a stack's total, written after it


@dataclass
class BarChart:
    width: int = WIDTH
    height: int = 0
    left: int = LEFT
    plot_width: int = WIDTH - LEFT - RIGHT
    bottom_y: float = 0
    bars: list[Bar] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    empty: bool = True


def _axis_step(largest: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 25, 50… of which four steps reach ``largest``, so
    that the gridlines of a count fall on whole numbers."""
    step = 1.0
    while True:
        for factor in (1, 2, 2.5, 5) if step >= 10 else (1, 2, 5):
            if 4 * factor * step >= largest:
                return factor * step
        step *= 10


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def _number(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    stacked: bool = False,
    top: float | None = None,
    format_value: Callable[[float], str] | None = None,
) -> BarChart:
    """Bars for each category and series; ``top`` fixes the axis (100 for percentages)."""
    fmt = format_value or _number
    count = len(series)
    band = ROW if stacked else ROW * max(count, 1)
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    every = [v for _, values in series for v in values]
    largest = max(totals if stacked else every, default=0)
    chart = BarChart(empty=largest <= 0)
    chart.bottom_y = TOP + len(categories) * (band + GAP)
    chart.height = int(chart.bottom_y + BOTTOM)
    axis_top = top if top is not None else 4 * _axis_step(largest)
    scale = chart.plot_width / axis_top
    chart.ticks = [(LEFT + chart.plot_width * k / 4, fmt(axis_top * k / 4)) for k in range(5)]
    if count > 1:
        chart.legend = [(FILLS[i % len(FILLS)], name) for i, (name, _) in enumerate(series)]
    for index, category in enumerate(categories):
        y0 = TOP + index * (band + GAP)
        x = float(LEFT)
        for s, (name, values) in enumerate(series):
            value = values[index]
            width = value * scale
            y = y0 if stacked else y0 + s * ROW
            tooltip = (
                f"{category}, {name}: {fmt(value)}" if count > 1 else f"{category}: {fmt(value)}"
            )
            chart.bars.append(
                Bar(
                    x=x if stacked else float(LEFT),
                    y=y,
                    width=width,
                    height=ROW - 4,
                    fill=FILLS[s % len(FILLS)],
                    label=tooltip,
                    text="" if stacked else fmt(value),
                    text_x=LEFT + width + 4,
                    text_y=y + ROW / 2 + 2,
                )
            )
            if stacked:
                x += width
        chart.rows.append(
            Row(
                _shorten(category),
                y0 + band / 2 + 2,
                x + 4,
                fmt(totals[index]) if stacked else "",
            )
        )
    return chart
