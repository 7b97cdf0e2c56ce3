"""Small server-rendered SVG charts: grouped columns, lines, horizontal bars. No JavaScript.

Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` (referenced by
``aria-labelledby``), and ``aria-describedby`` points at the data table printed next to it, so
a screen reader gets the figures and not only the shape. Missing values (``None``) are gaps.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
PALETTE = ("#1f5f8b", "#e07b00", "#3a8a3a", "#8b1f5f")
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 16, 56
GRID_STEPS = 4


@dataclass(frozen=True)
class Series:
    name: str
    values: list  # numbers (int, Decimal, float, numeric str) or None


def _number(value) -> float | None:
    if value is None or value == "":
        return None
    return float(Decimal(str(value)))


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _nice_max(value: float, *, whole: bool = False) -> float:
    """A round axis top: GRID_STEPS ticks of 1, 2, 2.5 or 5 times a power of ten (whole numbers for counts)."""
    if value <= 0:
        return float(GRID_STEPS)
    raw = value / GRID_STEPS
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 3, 5, 10) if whole else (1, 2, 2.5, 5, 10):
        step = factor * power
        if step >= raw and not (whole and step != int(step)):
            return step * GRID_STEPS
    return 10 * power * GRID_STEPS


def _is_whole(values) -> bool:
    return all(v is None or float(v) == int(v) for v in values)


def _frame(*, chart_id: str, title: str, desc: str, table_id: str | None, height: int, body: list[str]) -> SafeString:
    described = f' aria-describedby="{escape(table_id)}"' if table_id else ""
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc"{described}>',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
        *body,
        "</svg>",
    ]
    return mark_safe("\n".join(parts))  # noqa: S308 - every text and attribute above is escaped


def _legend(series: list[Series], y: int) -> list[str]:
    parts = []
    x = MARGIN_LEFT
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="{y}" class="chart__legend">{escape(item.name)}</text>')
        x += 24 + 8 * len(item.name)
    return parts


def _y_axis(*, top: float, plot_height: int, unit: str) -> list[str]:
    parts = []
    for step in range(GRID_STEPS + 1):
        value = top * step / GRID_STEPS
        y = MARGIN_TOP + plot_height - plot_height * step / GRID_STEPS
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="chart__grid"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="chart__tick">'
            f"{escape(_fmt(value) + unit)}</text>"
        )
    return parts


def _x_labels(labels: list[str], *, slot: float, plot_height: int) -> list[str]:
    y = MARGIN_TOP + plot_height + 16
    return [
        f'<text x="{MARGIN_LEFT + slot * (index + 0.5):.1f}" y="{y}" text-anchor="middle" class="chart__tick">'
        f"{escape(label)}</text>"
        for index, label in enumerate(labels)
    ]


def column_chart(
    *, chart_id: str, title: str, desc: str, labels: list[str], series: list[Series], table_id=None, unit=""
) -> SafeString:
    """Vertical grouped columns, one group per label (e.g. per month), one colour per series."""
    height = 260
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    numbers = [[_number(v) for v in item.values] for item in series]
    flat = [v for values in numbers for v in values if v is not None]
    top = _nice_max(max(flat, default=0), whole=_is_whole(flat))
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    body = _y_axis(top=top, plot_height=plot_height, unit=unit)
    for s_index, values in enumerate(numbers):
        colour = PALETTE[s_index % len(PALETTE)]
        for index, value in enumerate(values):
            if value is None:
                continue
            bar_height = plot_height * value / top
            x = MARGIN_LEFT + slot * index + slot * 0.1 + bar * s_index
            y = MARGIN_TOP + plot_height - bar_height
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{bar_height:.1f}" fill="{colour}">'
                f"<title>{escape(series[s_index].name)}, {escape(labels[index])}: {escape(_fmt(value) + unit)}</title>"
                "</rect>"
            )
    body += _x_labels(labels, slot=slot, plot_height=plot_height)
    body += _legend(series, height - 12)
    return _frame(chart_id=chart_id, title=title, desc=desc, table_id=table_id, height=height, body=body)


def line_chart(
    *, chart_id: str, title: str, desc: str, labels: list[str], series: list[Series], table_id=None, unit="", top=None
) -> SafeString:
    """Lines over the labels (e.g. rates per month); a missing value breaks the line."""
    height = 260
    plot_height = height - MARGIN_TOP - MARGIN_BOTTOM
    numbers = [[_number(v) for v in item.values] for item in series]
    flat = [v for values in numbers for v in values if v is not None]
    top = top or _nice_max(max(flat, default=0), whole=_is_whole(flat))
    slot = (WIDTH - MARGIN_LEFT - MARGIN_RIGHT) / max(len(labels), 1)
    body = _y_axis(top=top, plot_height=plot_height, unit=unit)
    for s_index, values in enumerate(numbers):
        colour = PALETTE[s_index % len(PALETTE)]
        segment: list[str] = []
        segments = [segment]
        for index, value in enumerate(values):
            if value is None:
                segment = []
                segments.append(segment)
                continue
            x = MARGIN_LEFT + slot * (index + 0.5)
            y = MARGIN_TOP + plot_height - plot_height * value / top
            segment.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(series[s_index].name)}, {escape(labels[index])}: {escape(_fmt(value) + unit)}</title>"
                "</circle>"
            )
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    body += _x_labels(labels, slot=slot, plot_height=plot_height)
    body += _legend(series, height - 12)
    return _frame(chart_id=chart_id, title=title, desc=desc, table_id=table_id, height=height, body=body)


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: list[str],
    values: list,
    table_id=None,
    unit="",
    threshold=None,
    threshold_label="",
) -> SafeString:
    """Horizontal bars, one per label (e.g. per service item), with an optional threshold line."""
    row = 22
    label_width = 230
    height = MARGIN_TOP + row * max(len(labels), 1) + 36
    numbers = [_number(v) for v in values]
    limit = _number(threshold)
    present = [v for v in numbers if v is not None] + ([limit] if limit else [])
    top = _nice_max(max(present, default=0), whole=_is_whole(present))
    plot_width = WIDTH - label_width - MARGIN_RIGHT - 60
    body = []
    for index, (label, value) in enumerate(zip(labels, numbers, strict=True)):
        y = MARGIN_TOP + row * index
        body.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" class="chart__tick">{escape(label)}</text>'
        )
        if value is None:
            body.append(f'<text x="{label_width + 4}" y="{y + 15}" class="chart__tick">—</text>')
            continue
        width = plot_width * value / top
        body.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row - 6}" fill="{PALETTE[0]}">'
            f"<title>{escape(label)}: {escape(_fmt(value) + unit)}</title></rect>"
        )
        body.append(
            f'<text x="{label_width + width + 4:.1f}" y="{y + 15}" class="chart__tick">'
            f"{escape(_fmt(value) + unit)}</text>"
        )
    if limit:
        x = label_width + plot_width * limit / top
        bottom = MARGIN_TOP + row * max(len(labels), 1)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{MARGIN_TOP - 4}" y2="{bottom}" class="chart__threshold"/>')
        body.append(
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" class="chart__tick">'
            f"{escape(threshold_label)}</text>"
        )
    return _frame(chart_id=chart_id, title=title, desc=desc, table_id=table_id, height=height, body=body)
