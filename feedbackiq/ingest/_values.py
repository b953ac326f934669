"""Cell-level cleaning and parsing: text, non-answers, dates, ratings, money, deal stages."""

from __future__ import annotations

import html
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "clean_text",
    "is_non_answer",
    "parse_date",
    "parse_rating",
    "parse_money",
    "money_currency",
    "normalize_stage",
    "as_str",
]

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?\s*>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?\s*>", re.I)
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002-\u200a]+")
_NEWLINES = re.compile(r"\s*\n\s*")

_NON_ANSWERS = {
    "n/a", "na", "n.a.", "none", "nothing", "no", "nope", "nil", "null", "nan", "no comment", "no comments",
    "nothing to add", "nothing else", "not applicable", "idk", "i don't know", "i dont know", "dont know",
    "don't know", "no idea", "not sure", "-", "--", "---", ".", "..", "...", "?", "x", "/", "ok", "k",
    "无", "没有", "暂无", "不知道", "没", "无意见", "没意见", "没有意见", "暂时没有", "暂时没有了", "无建议",
    "没有建议", "不清楚", "不好说", "说不清", "还没想好", "没什么", "没什么了", "无所谓", "同上", "略", "嗯",
}
_STRIP_PUNCT = re.compile(r"^[\s\W_]+|[\s\W_]+$")


def as_str(v: Any) -> str:
    """A cell as text; numbers that are whole print without ``.0``."""
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def clean_text(v: Any) -> str:
    """Normalise whitespace and strip HTML, keeping emoji, Chinese and full-width punctuation.

    >>> clean_text("  Battery&nbsp;dies <b>fast</b><br>really\\u200b 🔋 ")
    'Battery dies fast\\nreally 🔋'
    """
    s = as_str(v)
    if "<" in s and ">" in s:
        s = _BREAK.sub("\n", s)
        s = _TAG.sub(" ", s)
    if "&" in s:
        s = html.unescape(s)
    s = _INVISIBLE.sub("", s).replace("\r\n", "\n").replace("\r", "\n")
    s = _SPACES.sub(" ", s)
    s = _NEWLINES.sub("\n", s)
    return s.strip()


def is_non_answer(text: str) -> bool:
    """True for answers that carry no content: "n/a", "-", "no comment", "无", "不知道" ...

    >>> [is_non_answer(t) for t in ["N/A", "无。", "Nothing!", "no battery issues"]]
    [True, True, True, False]
    """
    t = text.strip().lower()
    if t in _NON_ANSWERS:
        return True
    core = _STRIP_PUNCT.sub("", t)
    if core in _NON_ANSWERS:
        return True
    return not core and not _has_symbol_content(t)


def _has_symbol_content(t: str) -> bool:
    # Emoji-only answers ("👍", "😡") carry sentiment; punctuation-only ones do not.
    return any(ord(ch) > 0x2000 and not ch.isspace() and ch not in "。，、！？…—" for ch in t)


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y.%m.%d", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%b %d, %Y", "%d %b %Y", "%B %d, %Y", "%d %B %Y", "%Y%m%d",
)
_ZH_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})[:：时](\d{1,2}))?")


def parse_date(v: Any) -> datetime | None:
    """Parse the date formats exports use; ``None`` when the value is empty.

    Raises ``ValueError`` when the value is present but not a date.

    >>> parse_date("2026年3月5日").date().isoformat()
    '2026-03-05'
    >>> parse_date(46086).date().isoformat()   # an Excel serial number
    '2026-03-05'
    """
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, datetime):
        return v
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime()
    if isinstance(v, (int, float)):
        if 20000 <= v <= 80000:  # Excel serials between 1954 and 2119
            return datetime(1899, 12, 30) + timedelta(days=float(v))
        if 1e9 <= v <= 5e9:
            return datetime.fromtimestamp(float(v), tz=timezone.utc).replace(tzinfo=None)
        if 1e12 <= v <= 5e12:
            return datetime.fromtimestamp(float(v) / 1000, tz=timezone.utc).replace(tzinfo=None)
        raise ValueError(f"{v!r} is not a date")
    s = str(v).strip()
    if not s:
        return None
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
        return d.astimezone(timezone.utc).replace(tzinfo=None) if d.tzinfo else d
    except ValueError:
        pass
    m = _ZH_DATE.match(s)
    if m:
        y, mo, d, hh, mm = m.groups()
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            continue
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_date(float(s))
    raise ValueError(f"{s!r} is not a date")


def _number_or_text(v: Any) -> tuple[float | None, str]:
    """A cell that is already a number, or its stripped text (``(None, "")`` when empty)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None, ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v), ""
    return None, str(v).strip()


_STARS = re.compile(r"^[★☆⭐✩✭]+$")


def parse_rating(v: Any) -> float | None:
    """Ratings as numbers: ``4``, ``"4/5"``, ``"4 stars"``, ``"★★★★"``, ``"4星"``.

    >>> [parse_rating(x) for x in ["4/5", "★★★☆☆", "3 stars", "", "9"]]
    [4.0, 3.0, 3.0, None, 9.0]
    """
    number, s = _number_or_text(v)
    if number is not None or not s:
        return number
    if _STARS.match(s):
        return float(sum(1 for ch in s if ch in "★⭐✭"))
    m = re.match(r"^(\d+(?:\.\d+)?)\s*(?:/\s*\d+|stars?|分|星|颗星)?$", s, re.I)
    if m:
        return float(m.group(1))
    raise ValueError(f"{s!r} is not a rating")


_MONEY = re.compile(r"^(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>k|m|mm|bn|b|千|万|w|亿)?$", re.I)
_UNITS = {"k": 1e3, "千": 1e3, "m": 1e6, "mm": 1e6, "b": 1e9, "bn": 1e9, "万": 1e4, "w": 1e4, "亿": 1e8}


def parse_money(v: Any) -> float | None:
    """Deal amounts: ``12000``, ``"$12,000"``, ``"12k"``, ``"1.2万"``, ``"¥30,000"``, ``"RMB 5万元"``.

    >>> [parse_money(x) for x in ["$12,000", "12k", "1.2万", "¥30,000", "RMB 5万元", ""]]
    [12000.0, 12000.0, 12000.0, 30000.0, 50000.0, None]
    """
    number, s = _number_or_text(v)
    if number is not None or not s:
        return number
    t = re.sub(r"(?i)^(usd|rmb|cny|eur|gbp|us\$)|(usd|rmb|cny|eur|gbp|元|美元|/yr|/year|/年)$", "", s).strip()
    t = t.strip("$¥￥€£ ").replace(",", "").replace("，", "").replace(" ", "")
    t = re.sub(r"元$", "", t)
    m = _MONEY.match(t)
    if not m:
        raise ValueError(f"{s!r} is not an amount")
    return float(m.group("num")) * _UNITS.get((m.group("unit") or "").lower(), 1.0)


# The currency an amount names. Chinese magnitude words (万, 亿) without a symbol are read as yuan, as a
# Chinese CRM writes them; "¥" is read as yuan too (not yen). A bare number names none.
_CURRENCY_MARKS = (
    ("USD", re.compile(r"(?i)^\s*(us\$|usd)|usd\s*$|美元|^\s*\$")),
    ("CNY", re.compile(r"(?i)^\s*(rmb|cny)|(rmb|cny)\s*$|[¥￥元]|人民币|\d\s*[万亿]")),
    ("EUR", re.compile(r"(?i)^\s*eur|eur\s*$|€")),
    ("GBP", re.compile(r"(?i)^\s*gbp|gbp\s*$|£")),
)


def money_currency(v: Any) -> str | None:
    """The currency a deal amount names (ISO code), ``None`` for a bare number.

    >>> [money_currency(x) for x in ["$12,000", "1.2万", "¥30,000", "RMB 5万元", "EUR 5k", "12000", 12000.0]]
    ['USD', 'CNY', 'CNY', 'CNY', 'EUR', None, None]
    """
    if not isinstance(v, str):
        return None
    return next((code for code, mark in _CURRENCY_MARKS if mark.search(v)), None)


_STAGES = {
    "won": ("won", "closed won", "closed-won", "closedwon", "win", "signed", "赢单", "成交", "已成交", "签约", "已签约", "赢"),
    "lost": ("lost", "closed lost", "closed-lost", "closedlost", "loss", "丢单", "输单", "失败", "已丢单", "流失", "丢失"),
    "open": ("open", "negotiation", "proposal", "qualification", "discovery", "demo", "trial", "pending",
             "跟进中", "谈判", "谈判中", "进行中", "方案", "试用", "商机"),
}
_STAGE_LOOKUP = {alias: norm for norm, aliases in _STAGES.items() for alias in aliases}


def normalize_stage(v: Any) -> str | None:
    """Deal stages to ``won``/``lost``/``open`` where recognisable, else the lowercased value.

    >>> [normalize_stage(x) for x in ["Closed Won", "丢单", "Negotiation", "on hold"]]
    ['won', 'lost', 'open', 'on hold']
    """
    s = as_str(v).strip()
    if not s:
        return None
    key = s.lower()
    return _STAGE_LOOKUP.get(key, key)
