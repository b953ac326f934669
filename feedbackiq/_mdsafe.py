"""Text that came from input or from a model, made safe to put into the Markdown outputs.

Segment values, column headers, file names, feedback text and LLM replies are data: rendered
with HTML enabled (as many Markdown viewers do), ``<img src=x onerror=...>`` in any of them
would run, and ``[x](javascript:...)`` would become a link. :func:`md_escape` makes such a
value plain text on one line: ``&``, ``<`` and ``>`` become entities (no raw HTML, no
autolink), and the characters of link, image, code-span and table syntax are backslash-escaped.
:func:`md_code` puts a value (an item id) in a code span that it cannot leave.
"""

from __future__ import annotations

import re

__all__ = ["md_escape", "md_code"]

_ESCAPES = str.maketrans({"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]",
                          "`": "\\`", "|": "\\|"})
_NEWLINES = re.compile(r"\r\n|[\r\n\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")


def md_escape(value: object) -> str:
    """``value`` as literal Markdown text on one line, safe in a paragraph, a heading or a table cell.

    Examples
    --------
    >>> md_escape('<img src=x onerror=alert(1)> & [x](javascript:alert(1))')
    '&lt;img src=x onerror=alert(1)&gt; &amp; \\\\[x\\\\](javascript:alert(1))'
    >>> md_escape("a | b\\nc")
    'a \\\\| b c'
    """
    return _NEWLINES.sub(" ", str(value)).translate(_ESCAPES)


def md_code(value: object) -> str:
    """``value`` as a code span (shown verbatim, never HTML), on one line whatever backticks it holds.

    Examples
    --------
    >>> md_code("r12"), md_code("a`b")
    ('`r12`', '`` a`b ``')
    """
    text = _NEWLINES.sub(" ", str(value))
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if "`" in text or text.startswith(" ") or text.endswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
