"""Charts as static SVG made from the data: nothing to load at view time, nothing to run.

Each chart is a ``Markup`` string for the templates. Every label is escaped here (titles are
user data), every number is formatted here; colours come from the page's CSS classes
(``bar``, ``bar-alt``), so the charts follow the page's theme.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

__all__ = ["bars", "columns"]

#: Drawing units: about the pixels of a chart panel on a laptop (two panels side by side).
_WIDTH = 520
_ROW = 24
_LABEL = 150
_VALUE = 70


def bars(
    rows: Sequence[tuple[str, float, str | None]], value_text: Callable[[float], str], title: str
) -> Markup:
    """Horizontal bars, one per ``(label, value, link)`` row, longest first as given; a row
    with a link is clickable (an ``<a>`` inside the SVG)."""
    if not rows:
        return Markup('<p class="empty">Nothing yet.</p>')
    top = max(value for _, value, _ in rows) or 1.0
    room = _WIDTH - _LABEL - _VALUE
    parts = [_svg_open(_WIDTH, _ROW * len(rows) + 4, title)]
    for index, (label, value, link) in enumerate(rows):
        y = index * _ROW + 2
        length = max(value / top * room, 1.5 if value else 0)
        row = (
            f'<text class="label" x="{_LABEL - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(_clip(label))}</text>"
            f'<rect class="bar" x="{_LABEL}" y="{y + 4}" width="{length:.1f}" height="{_ROW - 8}"'
            ' rx="3"/>'
            f'<text class="value" x="{_LABEL + length + 6:.1f}" y="{y + 17}">'
            f"{escape(value_text(value))}</text>"
        )
        if link:
            row = f'<a href="{escape(link)}"><title>{escape(label)}</title>{row}</a>'
        parts.append(f"<g>{row}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(months: Sequence[tuple[str, int, int]], title: str) -> Markup:
    """Stacked columns per month: pictures (``bar``) under FITS frames (``bar-alt``)."""
    if not months:
        return Markup('<p class="empty">Nothing yet.</p>')
    height, axis = 170, 26
    top = max(pictures + frames for _, pictures, frames in months) or 1
    height_scale = (height - 18) / top  # room above the tallest column for the scale
    step = _WIDTH / len(months)
    parts = [_svg_open(_WIDTH, height + axis, title)]
    for index, (label, pictures, frames) in enumerate(months):
        x = index * step + step * 0.15
        width = step * 0.7
        low = pictures * height_scale
        high = frames * height_scale
        tip = f"{label}: {pictures} pictures, {frames} FITS frames"
        parts.append(
            f"<g><title>{escape(tip)}</title>"
            f'<rect class="bar" x="{x:.1f}" y="{height - low:.1f}" width="{width:.1f}" '
            f'height="{low:.1f}"/>'
            f'<rect class="bar-alt" x="{x:.1f}" y="{height - low - high:.1f}" '
            f'width="{width:.1f}" height="{high:.1f}"/></g>'
        )
        if index % max(1, math.ceil(len(months) / 6)) == 0:
            parts.append(
                f'<text class="axis" x="{x + width / 2:.1f}" y="{height + 20}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append(
        f'<line class="grid" x1="0" x2="{_WIDTH}" y1="{height}" y2="{height}"/>'
        f'<text class="axis" x="{_WIDTH - 2}" y="12" text-anchor="end">{top} files</text></svg>'
    )
    return Markup("".join(parts))


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
    )


def _clip(label: str, limit: int = 24) -> str:
    """A label short enough for the chart's left column (the full one is in the title)."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1] + "…"
