"""Charts as SVG drawn on the server: no script, readable without colour (every bar is
labelled with its figure), each with a title and a description for screen readers."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from html import escape

WIDTH = 480
LABEL = 170  # the names' column
BAR = 22
GAP = 10
HEAD = 30  # the title's line
COLOURS = ("#1f6feb", "#1a7f37", "#9a6700", "#8250df", "#cf222e")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no figure (drawn as such, not as zero)
    text: str  # the figure as shown, e.g. "42 %" or "1.234"


def bars(
    title: str,
    rows: list[Bar],
    *,
    maximum: float,
    target: float | None = None,
    target_text: str = "",
    missing: str = "",
    chart_id: str,
) -> str:
    """Horizontal bars, one per row, scaled to `maximum`, with an optional target line."""
    span = WIDTH - LABEL - 70
    lines = textwrap.wrap(title, 52)[:2]
    head = HEAD + 20 * (len(lines) - 1)
    height = head + GAP + len(rows) * (BAR + GAP) + (24 if target is not None else 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" class="bars">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">'
        + escape("; ".join(f"{r.label}: {r.text or missing}" for r in rows))
        + "</desc>",
        *(
            f'<text x="0" y="{18 + 20 * n}" font-size="15" font-weight="700" fill="#1f2328" '
            f'aria-hidden="true">{escape(line)}</text>'
            for n, line in enumerate(lines)
        ),
    ]
    for n, row in enumerate(rows):
        y = head + GAP + n * (BAR + GAP)
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end" font-size="13" '
            f'fill="#1f2328">{escape(_short(row.label))}</text>'
        )
        if row.value is None:
            parts.append(
                f'<text x="{LABEL + 4}" y="{y + BAR * 0.7:.1f}" font-size="12" '
                f'fill="#57606a">{escape(missing)}</text>'
            )
            continue
        width = 0 if maximum <= 0 else max(0.0, min(1.0, row.value / maximum)) * span
        parts.append(
            f'<rect x="{LABEL}" y="{y}" width="{width:.1f}" height="{BAR}" '
            f'fill="{COLOURS[n % len(COLOURS)] if target is None else COLOURS[0]}" rx="3"/>'
        )
        parts.append(
            f'<text x="{LABEL + width + 6:.1f}" y="{y + BAR * 0.7:.1f}" font-size="13" '
            f'fill="#1f2328">{escape(row.text)}</text>'
        )
    if target is not None and maximum > 0:
        x = LABEL + min(1.0, target / maximum) * span
        bottom = head + GAP + len(rows) * (BAR + GAP)
        parts.append(
            f'<line x1="{x:.1f}" y1="{head}" x2="{x:.1f}" y2="{bottom}" stroke="#cf222e" '
            f'stroke-width="2" stroke-dasharray="6 4" class="target"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="12" '
            f'fill="#a40e26">{escape(target_text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, most: int = 24) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"
