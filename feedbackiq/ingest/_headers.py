"""Survey-export header conventions: Qualtrics' three header rows, SurveyMonkey's two.

Qualtrics CSV exports put short column ids in row 1 (``ResponseId``, ``Q5``), the
full question text in row 2 and ``{"ImportId":"QID5_TEXT"}`` in row 3.
SurveyMonkey puts the question in row 1 (blank under merged cells) and a
sub-label in row 2 (``Response``, ``Open-Ended Response``, or an answer option).
Both extra rows are header, not answers: they are recorded as HEADER_ROW skips.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HeaderInfo", "resolve_header"]

_IMPORT_ID = re.compile(r'^\s*\{\s*"?ImportId"?\s*:', re.I)
_SM_SUBLABELS = {
    "response", "open-ended response", "open ended response", "other (please specify)",
    "回答", "开放式回答", "回复", "答案", "响应", "开放式响应",
}


@dataclass
class HeaderInfo:
    header: list[str]
    questions: dict[str, str] = field(default_factory=dict)  # column -> full question text
    header_rows: list[int] = field(default_factory=list)     # data rows that are really header
    style: str = "plain"                                      # plain | qualtrics | surveymonkey


def resolve_header(header: list[str], head: list[tuple[int, list[Any]]]) -> HeaderInfo:
    """Detect extra header rows in the first data rows and build unique column names."""
    first = _row(head, 0, len(header))
    second = _row(head, 1, len(header))
    if second is not None and _share(second, lambda v: bool(_IMPORT_ID.match(v))) >= 0.5:
        questions = {h: q.strip() for h, q in zip(header, first or []) if q and q.strip() and q.strip() != h}
        return HeaderInfo(_unique(header), questions, [head[0][0], head[1][0]], "qualtrics")
    if first is not None and _is_surveymonkey(header, first):
        filled, last = [], ""
        for h in header:
            last = h.strip() or last  # merged question cells leave blanks to the right
            filled.append(last)
        combined, questions = [], {}
        for q, sub in zip(filled, first):
            sub = (sub or "").strip()
            name = q if not sub or sub.lower() in _SM_SUBLABELS else f"{q} - {sub}"
            combined.append(name)
            questions[name] = q
        names = _unique(combined)
        return HeaderInfo(names, {n: questions[c] for n, c in zip(names, combined)}, [head[0][0]], "surveymonkey")
    names = _unique(header)
    # Repeated headers (e.g. a question merged across two columns) keep their question text.
    return HeaderInfo(names, {n: h.strip() for n, h in zip(names, header) if h.strip() and n != h.strip()})


def _is_surveymonkey(header: list[str], first: list[str]) -> bool:
    blanks = sum(1 for h in header if not h.strip())
    sublabels = sum(1 for v in first if v.strip().lower() in _SM_SUBLABELS)
    return sublabels >= 1 and (blanks >= 1 or sublabels >= 2)


def _row(head: list[tuple[int, list[Any]]], i: int, width: int) -> list[str] | None:
    if len(head) <= i:
        return None
    vals = ["" if v is None else str(v) for v in head[i][1]]
    return (vals + [""] * width)[:width]


def _share(values: list[str], pred) -> float:
    filled = [v for v in values if v.strip()]
    return sum(1 for v in filled if pred(v)) / len(filled) if filled else 0.0


def _unique(names: list[str]) -> list[str]:
    """Blank headers become ``column_N``; repeats get `` (2)``, `` (3)``..."""
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names, start=1):
        n = (n or "").strip() or f"column_{i}"
        if n in seen:
            seen[n] += 1
            n = f"{n} ({seen[n]})"
        else:
            seen[n] = 1
        out.append(n)
    return out
