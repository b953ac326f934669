"""Small HTML-building helpers: escaping, number formats, section frames.

Every piece of text that came from data (feedback, theme names, card names, segment values,
file names) goes through :func:`esc`; markup is only ever written by this package. That is
what keeps a ``<script>`` typed into a survey answer on screen as text.
"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["esc", "num", "pct", "sort_value", "section", "not_in_run", "chips", "theme_color", "theme_colors",
           "need_colors", "lang_attr", "short", "plural", "DASH", "THEME_COLORS", "SMALL_THEME_COLOR", "OTHER_COLOR", "PRAISE_COLOR"]

DASH = "—"
# Colour-blind-friendly categorical palette (Tableau 10 + 2); themes beyond it share a neutral grey.
THEME_COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                "#b07aa1", "#ff9da7", "#9c755f", "#2f4b7c", "#8cd17d", "#d37295"]
SMALL_THEME_COLOR = "#a0a4ab"
OTHER_COLOR = "#d6d8dc"
PRAISE_COLOR = "#c3c7cd"


def esc(value: Any) -> str:
    """Text -> HTML-safe text (also safe inside quoted attributes).

    >>> esc('<script>alert("x")</script> & 价格')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 价格'
    >>> esc(None)
    ''
    """
    return "" if value is None else html.escape(str(value), quote=True)


def num(value: float | int | None, digits: int = 0) -> str:
    """A number with thousands separators; ``—`` when missing.

    >>> num(1429500.0), num(2.5333, 2), num(None)
    ('1,429,500', '2.53', '—')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return DASH
    return f"{value:,.{digits}f}"


def pct(value: float | None, digits: int = 0) -> str:
    """A share as a percentage: ``pct(0.295) == '30%'``; ``—`` when missing."""
    return DASH if value is None else f"{100 * value:.{digits}f}%"


def sort_value(value: float | int | None) -> str:
    """What a sortable cell's ``data-sort`` holds: the raw number, or empty when missing (sorted last).

    >>> sort_value(3), sort_value(None), sort_value(float("inf"))
    ('3', '', 'Infinity')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value == math.inf:
        return "Infinity"
    return repr(float(value)) if isinstance(value, float) else str(value)


def section(anchor: str, title: str, how_to_read: str, body: str) -> str:
    """A report section: heading, one line on how to read it, then its body (already HTML)."""
    return (f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>'
            f'<p class="how">{esc(how_to_read)}</p>{body}</section>')


def not_in_run(anchor: str, title: str, how_to_get: str) -> str:
    """The short stand-in for a section whose input this run did not have."""
    return (f'<section id="{esc(anchor)}" class="absent"><h2>{esc(title)}</h2>'
            f'<p class="how">Not in this run. {esc(how_to_get)}</p></section>')


def chips(words: list[str], cls: str = "chip") -> str:
    return "".join(f'<span class="{cls}">{esc(w)}</span>' for w in words) or f'<span class="muted">{DASH}</span>'


def theme_color(rank: int | None) -> str:
    """Colour of the theme at this rank (0 = largest); ``None`` is the "Other" bucket."""
    if rank is None:
        return OTHER_COLOR
    return THEME_COLORS[rank] if rank < len(THEME_COLORS) else SMALL_THEME_COLOR


def theme_colors(themes: list) -> dict[int, str]:
    """Theme id -> colour, by rank in the list (largest first); id -1 ("other") is light grey."""
    colors = {t.id: theme_color(rank) for rank, t in enumerate(themes)}
    colors[-1] = OTHER_COLOR
    return colors


def need_colors(report) -> dict[int, str]:
    """Need id -> colour by rank (largest first); praise and small talk, and "other" (id -1), in greys.
    A theme is drawn in its need's colour."""
    colors = {n.id: theme_color(rank) for rank, n in enumerate(report.needs)}
    colors.update({n.id: PRAISE_COLOR for n in report.non_needs})
    colors[-1] = OTHER_COLOR
    return colors


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 item``, ``3 items``, ``1,397 items``.

    >>> plural(1, "item"), plural(1397, "item"), plural(2, "respondent/account", "respondents/accounts")
    ('1 item', '1,397 items', '2 respondents/accounts')
    """
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def short(text: str, limit: int = 48) -> str:
    """A name cut at a word boundary to fit a chart label.

    >>> short("Permission management for spreadsheets is a mess, this is a security risk", 40)
    'Permission management for spreadsheets…'
    """
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(",;:. ") + "…"


def lang_attr(language: str | None) -> str:
    """A ``lang`` attribute so browsers pick a Chinese font for Chinese text (and a Latin one otherwise)."""
    return ' lang="zh-CN"' if language == "zh" else ' lang="en"' if language == "en" else ""
