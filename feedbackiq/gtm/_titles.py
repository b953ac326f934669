"""Persona titles that say who the persona is: "Enterprise manufacturers (1000+ employees, Enterprise plan)".

Built from the persona's segment values across columns: its defining value (the segment it is, in
``by="segment"`` mode) and the values most of its respondents share in the other columns. A value is
"most" when it holds 60% of the respondents who have the column, or two values together hold 80%
("manufacturing and logistics companies"), and the column is known for at least half of them.
Company size names the adjective (by its band's upper bound), industry the noun, plan and any other
defining column the parenthesis. Without any of them the title is "Customers (<column>: <value>)".
"""

from __future__ import annotations

from collections.abc import Mapping

from feedbackiq.ingest import size_band

__all__ = ["persona_title", "who_they_are", "dominant"]

ONE_VALUE, TWO_VALUES = 0.6, 0.8
KNOWN_SHARE = 0.5   # a column known for fewer of the persona's respondents describes too few of them
# The adjective of a company-size band, by its upper bound (open bands: by their lower bound).
_SIZE_WORDS = ((10, "micro"), (50, "small"), (250, "mid-market"), (1000, "large"))
_INDUSTRY_NOUNS = {
    "manufacturing": "manufacturers", "logistics": "logistics companies", "e-commerce": "e-commerce sellers",
    "retail": "retailers", "software": "software companies", "education": "education providers",
    "finance": "financial firms", "healthcare": "healthcare providers", "construction": "construction firms",
    "consulting": "consultancies", "government": "government bodies", "agriculture": "farms",
}
_KNOWN = ("company_size", "industry", "plan")


def dominant(counts: Mapping[str, int] | None) -> list[str]:
    """The value most respondents share (>= 60%), or the two that together hold >= 80%, else none.

    >>> dominant({"manufacturing": 7, "logistics": 3}), dominant({"a": 5, "b": 4, "c": 1}), dominant({"a": 4, "b": 3, "c": 3})
    (['manufacturing'], ['a', 'b'], [])
    """
    if not counts:
        return []
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    total = sum(counts.values())
    if ranked[0][1] >= ONE_VALUE * total:
        return [ranked[0][0]]
    if len(ranked) > 1 and ranked[0][1] + ranked[1][1] >= TWO_VALUES * total:
        return [ranked[0][0], ranked[1][0]]
    return []


def _size_word(values: list[str]) -> str:
    bands = [b for b in map(size_band, values) if b is not None]
    if not bands:
        return ""
    top = max(bands, key=lambda b: (b[1] is None, b[1] or b[0]))   # the largest band names them
    if top[1] is None:
        return "enterprise" if top[0] >= 1000 else "large"
    return next((word for bound, word in _SIZE_WORDS if top[1] <= bound), "enterprise")


def _band_order(value: str) -> tuple[int, float]:
    band = size_band(value)
    return (band[0], band[1] if band[1] is not None else float("inf")) if band else (0, 0.0)


def _industry_noun(values: list[str]) -> str:
    if len(values) == 1:
        v = values[0]
        return _INDUSTRY_NOUNS.get(v.lower(), f"{v} companies")
    if values:
        return f"{' and '.join(values)} companies"
    return ""


def who_they_are(segment: Mapping[str, str], facts: Mapping[str, Mapping[str, int]],
                 respondents: int | None = None) -> tuple[str, list[str]]:
    """``(words, details)``: "enterprise manufacturers" and ["1000+ employees", "Enterprise plan"] (empty words:
    nothing the respondents share). A column known for fewer than half of the ``respondents`` says nothing."""
    def values(col: str) -> list[str]:
        if col in segment:
            return [segment[col]]
        counts = facts.get(col) or {}
        known = sum(counts.values())
        return dominant(counts) if respondents is None or known >= KNOWN_SHARE * respondents else []

    sizes, industries, plans = values("company_size"), values("industry"), values("plan")
    sizes.sort(key=_band_order)   # bands small to large
    noun = _industry_noun(industries)
    adjective = _size_word(sizes)
    words = " ".join(w for w in (adjective, noun or ("customers" if adjective else "")) if w)
    details = [f"{col}: {val}" for col, val in segment.items() if col not in _KNOWN]
    if sizes:
        details.append(f"{', '.join(sizes)} employees" if any(size_band(s) for s in sizes) else ", ".join(sizes))
    if plans:
        details.append(f"{' or '.join(plans)} plan")
    return words, details


def persona_title(segment: Mapping[str, str], facts: Mapping[str, Mapping[str, int]],
                  respondents: int | None = None) -> str:
    """A persona's title from its defining segment values and its respondents' other values.

    >>> persona_title({"company_size": "1000+"}, {"industry": {"manufacturing": 40, "logistics": 24},
    ...                                           "plan": {"Enterprise": 55}})
    'Enterprise manufacturers (1000+ employees, Enterprise plan)'
    >>> persona_title({"plan": "Pro"}, {"company_size": {"1-10": 20, "11-50": 18, "51-200": 4}})
    'Small customers (1-10, 11-50 employees, Pro plan)'
    >>> persona_title({"region": "EMEA"}, {})
    'Customers (region: EMEA)'
    """
    words, details = who_they_are(segment, facts, respondents)
    title = words or "customers"
    title = title[0].upper() + title[1:]
    return f"{title} ({', '.join(details)})" if details else title
