"""The page-wide filter: every number that depends on it is computed here for every option, up front.

While the page is built, each such element registers a function of a :class:`~feedbackiq.report._stats.View`
(:meth:`Bindings.text`, :meth:`Bindings.html`); the page shows its value for "All feedback", and a
JSON block carries its value under every other option. The script only swaps those values in (and
hides quotes and map dots the option does not keep): no statistics are computed in the browser, so
the numbers on screen always come from the same Python code, filtered or not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Union

from feedbackiq.report._facts import Option
from feedbackiq.report._html import esc, sort_value
from feedbackiq.report._stats import View

__all__ = ["Bindings", "filter_control", "Cell"]

# What a bound cell shows: its text, or (text, sort value), or (text, sort value, shade 0..1).
Cell = Union[str, tuple]


class Bindings:
    """Elements whose content follows the filter, and their content under every option."""

    def __init__(self, views: list[View]) -> None:
        self.views = views
        self._text: list[Callable[[View], Cell]] = []
        self._html: list[Callable[[View], str]] = []

    @property
    def default(self) -> View:
        return self.views[0]

    def text(self, fn: Callable[[View], Cell], tag: str = "td", cls: str = "", title: Callable[[View], str] | None = None) -> str:
        """``<tag data-b=K ...>text</tag>``; ``title`` (optional) is bound as the element's tooltip."""
        k = len(self._text)
        self._text.append(fn if title is None else (lambda v: (*_cell(fn(v))[:3], title(v))))
        text, sort, shade, tip = _cell(self._text[k](self.default))
        attrs = f' class="{cls}"' if cls else ""
        attrs += f' data-sort="{esc(sort_value(sort))}"' if sort is not None else ""
        attrs += f' style="{shade_style(shade)}"' if shade is not None else ""
        attrs += f' title="{esc(tip)}"' if tip else ""
        return f'<{tag}{attrs} data-b="{k}">{esc(text)}</{tag}>'

    def html(self, fn: Callable[[View], str], tag: str = "div", attrs: str = "") -> str:
        """``<tag data-bh=K ...>`` around ``fn(view)``, HTML this package built (escaped)."""
        k = len(self._html)
        self._html.append(fn)
        return f'<{tag}{attrs} data-bh="{k}">{fn(self.default)}</{tag}>'

    def payload(self) -> str:
        """The JSON block's text: options, and every bound value under each option (strings stored once)."""
        strings: dict[str, int] = {}

        def ref(s: str) -> int:
            return strings.setdefault(s, len(strings))

        texts, htmls = [], []
        for view in self.views:
            row = []
            for fn in self._text:
                text, sort, shade, tip = _cell(fn(view))
                simple = sort is None and shade is None and not tip
                row.append(ref(text) if simple else [ref(text), _json_number(sort), shade, ref(tip or "")])
            texts.append(row)
            htmls.append([ref(fn(view)) for fn in self._html])
        data = {"options": [{"id": v.option.id, "label": v.option.label, "group": v.option.group} for v in self.views],
                "strings": list(strings), "text": texts, "html": htmls}
        # Inside <script type="application/json">: no "<" may end the element early.
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _cell(value: Cell) -> tuple[str, float | None, float | None, str | None]:
    if isinstance(value, str):
        return value, None, None, None
    return (tuple(value) + (None, None, None))[:4]


def _json_number(v: float | None) -> float | str | None:
    if v is None or v != v:
        return None
    return "Infinity" if v == float("inf") else v


def shade_style(alpha: float) -> str:
    return f"background:rgba(78,121,167,{alpha:.2f});color:{'#fff' if alpha > 0.55 else 'inherit'}"


def filter_control(options: list[Option]) -> str:
    """The one filter of the page (a select in the sticky bar); nothing when there is nothing to choose."""
    if len(options) < 2:
        return ""
    groups: dict[str, list[Option]] = {}
    for o in options[1:]:
        groups.setdefault(o.group, []).append(o)
    body = f'<option value="0">{esc(options[0].label)}</option>' + "".join(
        f'<optgroup label="{esc(g)}">' + "".join(f'<option value="{o.id}">{esc(o.label)}</option>' for o in opts)
        + "</optgroup>" for g, opts in groups.items())
    return (f'<label class="filter">Show <select id="page-filter">{body}</select></label>'
            '<span id="filter-note" class="filter-note" hidden></span>')
