"""The geometry of server-drawn SVG charts, from plain numbers; no query, no HTML.

Each function returns a dict of coordinates and label strings that one template of
``templates/services/charts/`` draws (so every label is escaped by the template engine):
``line`` (a share or score over time), ``hbars`` (one bar per RT or officer, stacked when a
row has several parts) and ``columns`` (a histogram). All charts share one coordinate
system, ``WIDTH`` units wide, which the page scales to the width of a phone or a sheet;
the text stays at ``FONT`` units, about 11 px on a 390 px phone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

WIDTH = 360
FONT = 11
LEFT, RIGHT, TOP, BOTTOM = 36, 12, 12, 30
ROW = 24  # height of one horizontal bar's row
LABEL_WIDTH = 118  # the names column of horizontal bars
MAX_LABEL = 18  # characters of a name in the chart (the table has it in full)
# Dark enough for white text and for print; the stages and milestones in this order.
PALETTE = ("#1d4ed8", "#0b5d3b", "#a15c00", "#7a2e8e")


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def _f(value: float) -> str:
    """A coordinate as text: the template engine would print a float in the locale's
    format (``49,7`` in Indonesian), which SVG does not read."""
    return f"{value:.1f}"


def _legend(series: Sequence[str], x0: float) -> tuple[list[dict], int]:
    """Legend items placed left to right, wrapping to a new line when the width is used up;
    returns the items and the height they take."""
    items, x, y = [], x0, TOP
    for k, name in enumerate(series):
        width = 14 + len(name) * FONT * 0.6 + 12
        if x + width > WIDTH - RIGHT and x > x0:
            x, y = x0, y + 16
        items.append(
            {"x": _f(x), "y": _f(y), "text_x": _f(x + 14), "text_y": _f(y + 9), "label": name,
             "color": PALETTE[k]}
        )  # fmt: skip
        x += width
    return items, (y - TOP + 16 + 6) if items else 0


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _ticks(y_min: float, y_max: float, steps: int = 4) -> list[float]:
    return [y_min + (y_max - y_min) * i / steps for i in range(steps + 1)]


def line(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    y_min: float = 0,
    y_max: float = 100,
    suffix: str = "",
    every: int | None = None,
) -> dict:
    """A line over ``labels`` (weeks, months); a None value breaks the line there."""
    height = 190
    right = RIGHT + 14  # room for half of the last label, centred on the last point
    plot_w, plot_h = WIDTH - LEFT - right, height - TOP - BOTTOM
    n = max(len(labels), 1)
    step = plot_w / max(n - 1, 1)

    def x(i: int) -> float:
        return LEFT + (i * step if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - y_min) / (y_max - y_min))

    every = every or max(1, math.ceil(n / 5))  # at most ~5 labels: legible on a phone
    segments, current, points = [], [], []
    for i, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        current.append(f"{x(i):.1f},{y(value):.1f}")
        points.append({"x": f"{x(i):.1f}", "y": f"{y(value):.1f}"})
    if current:
        segments.append(current)
    return {
        "width": WIDTH,
        "height": height,
        "font": FONT,
        "grid": [
            {"y": _f(y(t)), "label": f"{_num(t)}{suffix}", "x1": _f(LEFT), "x2": _f(LEFT + plot_w)}
            for t in _ticks(y_min, y_max)
        ],
        "x_labels": [
            {"x": f"{x(i):.1f}", "y": _f(height - BOTTOM + 16), "label": label}
            for i, label in enumerate(labels)
            if i % every == 0
        ],
        "paths": ["M" + " L".join(segment) for segment in segments if len(segment) > 1],
        "points": points,
        "label_x": _f(LEFT - 4),
    }


def hbars(
    labels: Sequence[str], parts: Sequence[Sequence[float]], *, series: Sequence[str] = ()
) -> dict:
    """One horizontal bar per label, made of ``parts`` side by side (stacked); the total is
    written at the end of the bar. ``series`` names the parts for the legend."""
    x0 = LABEL_WIDTH
    legend, legend_h = _legend(series, 8) if len(series) > 1 else ([], 0)
    height = TOP + legend_h + ROW * max(len(labels), 1) + BOTTOM - 10
    plot_w = WIDTH - x0 - RIGHT - 34  # room for the total after the bar
    top = max((sum(p) for p in parts), default=0)
    scale_max = nice_max(top)
    rows = []
    for i, (label, values) in enumerate(zip(labels, parts, strict=True)):
        y = TOP + legend_h + ROW * i
        x, segments = x0, []
        for k, value in enumerate(values):
            w = plot_w * value / scale_max
            if w > 0:
                segments.append({"x": _f(x), "w": _f(w), "color": PALETTE[k]})
            x += w
        total = sum(values)
        rows.append(
            {
                "label": _short(label),
                "text_y": _f(y + ROW / 2 + FONT / 3),
                "bar_y": _f(y + 4),
                "bar_h": _f(ROW - 8),
                "segments": segments,
                "total": _num(total),
                "total_x": _f(x + 4),
            }
        )
    axis_y = TOP + legend_h + ROW * max(len(labels), 1)
    return {
        "width": WIDTH,
        "height": height,
        "font": FONT,
        "rows": rows,
        "label_x": _f(x0 - 6),
        "axis": {"x": _f(x0), "y1": _f(TOP + legend_h), "y2": _f(axis_y)},
        "scale": [
            {"x": _f(x0 + plot_w * t / scale_max), "label": _num(t), "y": _f(axis_y + 14)}
            for t in _ticks(0, scale_max, 2)
        ],
        "legend": legend,
    }


def columns(labels: Sequence[str], values: Sequence[int], highlight: Sequence[bool] = ()) -> dict:
    """A histogram: adjacent columns, the count above each; ``highlight`` marks columns
    (the ages past the SLA) in the warning colour."""
    height = 180
    plot_w, plot_h = WIDTH - LEFT - RIGHT, height - TOP - BOTTOM - 8
    n = max(len(labels), 1)
    width = plot_w / n
    scale_max = nice_max(max(values, default=0))
    bars = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / scale_max
        x = LEFT + i * width
        y = TOP + 8 + plot_h - h
        bars.append(
            {
                "x": f"{x + 1:.1f}",
                "w": f"{width - 2:.1f}",
                "y": f"{y:.1f}",
                "h": f"{h:.1f}",
                "mid": f"{x + width / 2:.1f}",
                "value": value,
                "value_y": f"{y - 3:.1f}",
                "label": label,
                "late": bool(highlight[i]) if i < len(highlight) else False,
            }
        )
    base = TOP + 8 + plot_h
    return {
        "width": WIDTH,
        "height": height,
        "font": FONT,
        "bars": bars,
        "base": _f(base),
        "x1": _f(LEFT),
        "x2": _f(WIDTH - RIGHT),
        "label_y": _f(base + 15),
        "caption_y": _f(base + 27),
    }
