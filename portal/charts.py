"""Trend charts computed on the server: geometry for an SVG with no script in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .instruments import Instrument

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 40, 12, 36
# Light fills, darker with severity; text stays on white, so contrast holds.
BAND_FILLS = ("#e6f3ea", "#f3f6e0", "#fdf3e7", "#fbe4d8", "#fbeaea")


@dataclass
class Point:
    x: float
    y: float
    total: int
    when: date
    band: str
    reliable: str | None  # "better", "worse" or None


@dataclass
class BandRect:
    y: float
    height: float
    fill: str
    label: str
    label_y: float


@dataclass
class Trend:
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    bottom_y: int = HEIGHT - BOTTOM
    plot_width: int = WIDTH - LEFT - RIGHT
    points: list[Point] = field(default_factory=list)
    bands: list[BandRect] = field(default_factory=list)
    ticks: list[tuple[float, int]] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def trend(instrument: Instrument, rows: list[tuple[datetime, int]], locale: str) -> Trend:
    """Scores over time with the instrument's band thresholds drawn behind them."""
    top = instrument.max_score or max((total for _, total in rows), default=1) or 1
    plot_h = HEIGHT - TOP - BOTTOM
    chart = Trend()

    def y(value: float) -> float:
        return TOP + plot_h - (value / top) * plot_h

    for index, band in enumerate(instrument.bands):
        y_top, y_bottom = y(band.high + 0.5 if band.high < top else top), y(max(band.low - 0.5, 0))
        chart.bands.append(
            BandRect(
                y_top,
                y_bottom - y_top,
                BAND_FILLS[index % len(BAND_FILLS)],
                band.label(locale),
                (y_top + y_bottom) / 2 + 4,
            )
        )
    chart.ticks = [(y(v), v) for v in sorted({0, top, *(b.low for b in instrument.bands)})]
    count = len(rows)
    step = chart.plot_width / max(count - 1, 1)
    previous: int | None = None
    for index, (when, total) in enumerate(rows):
        x = LEFT + (index * step if count > 1 else chart.plot_width / 2)
        band_label = next(
            (b.label(locale) for b in instrument.bands if b.low <= total <= b.high), ""
        )
        reliable = None
        if previous is not None and instrument.reliable_change:
            if previous - total >= instrument.reliable_change:
                reliable = "better"
            elif total - previous >= instrument.reliable_change:
                reliable = "worse"
        chart.points.append(Point(x, y(total), total, when, band_label, reliable))
        previous = total
    return chart


def progress(entries: list[Any]) -> Trend:
    """A goal's progress ratings (0-100 %) over time, oldest first."""
    plot_h = HEIGHT - TOP - BOTTOM
    chart = Trend()

    def y(value: float) -> float:
        return TOP + plot_h - (value / 100) * plot_h

    chart.ticks = [(y(v), v) for v in (0, 25, 50, 75, 100)]
    count = len(entries)
    step = chart.plot_width / max(count - 1, 1)
    for index, entry in enumerate(entries):
        x = LEFT + (index * step if count > 1 else chart.plot_width / 2)
        chart.points.append(Point(x, y(entry.rating), entry.rating, entry.recorded_on, "", None))
    return chart
