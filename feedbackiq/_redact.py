"""PII redaction before any text leaves the machine (on by default for every LLM call).

Kinds: emails, phone numbers (international, US, Chinese mobile and landline),
Chinese resident ID numbers (checksum and birth date validated), payment card
numbers (Luhn), IBANs (mod-97), IPv4/IPv6 addresses, URLs carrying tokens, and
@handles. Checksums keep precision high: order numbers, versions, dates, prices
and times are not touched. Placeholders are stable within one ``Redactor`` (one
run): the same value always becomes the same ``[EMAIL_1]``, so the LLM can still
tell two customers apart. ``mapping`` keeps the originals locally; it is never sent.
Measured recall/precision: ``python evals/pii_eval.py``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import date

__all__ = ["Redactor", "Finding", "redact", "KINDS"]

# Order matters: earlier kinds win overlaps ("+86 138 1234 5678" is a phone even if its digits pass Luhn).
KINDS = ("URL", "EMAIL", "IBAN", "CN_ID", "PHONE", "CARD", "IP", "HANDLE")

_NOT_DIGIT_BEFORE = r"(?<![\dA-Za-z])"
_NOT_DIGIT_AFTER = r"(?![\dA-Za-z])"
_PATTERNS: dict[str, re.Pattern[str]] = {
    # ASCII-only look-arounds: in Chinese text a 汉字 counts as \w, so \b and \w-based guards would miss
    # "邮箱li@example.com" and "联系@小王".
    "URL": re.compile(r"(?<![A-Za-z0-9])https?://[A-Za-z0-9\-._~:/?#\[\]@!$&*+;=%]+", re.I),
    "EMAIL": re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z])"),
    "IBAN": re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"),
    "CN_ID": re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{17}[\dXx]|\d{15})" + _NOT_DIGIT_AFTER),
    "CARD": re.compile(_NOT_DIGIT_BEFORE + r"(?:\d[ -]?){12,18}\d" + _NOT_DIGIT_AFTER),
    "PHONE": re.compile(
        _NOT_DIGIT_BEFORE + r"(?:"
        r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"     # +44 20 7946 0958, +86 138 1234 5678
        r"|1[3-9]\d[ -]?\d{4}[ -]?\d{4}"                                       # Chinese mobile 13812345678
        r"|0\d{2,3}-?\d{7,8}"                                                   # Chinese landline 010-12345678
        r"|\(\d{3}\)[ .-]?\d{3}[ .-]?\d{4}"                                     # (555) 123-4567
        r"|\d{3}[.-]\d{3}[.-]\d{4}"                                             # 555-123-4567
        r")" + _NOT_DIGIT_AFTER),
    "IP": re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"
                    r"|(?<![:A-Za-z0-9])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{1,4}(?![:A-Za-z0-9])"),
    "HANDLE": re.compile(r"(?<![A-Za-z0-9_@.])@[A-Za-z0-9_\u4e00-\u9fff]{2,30}(?![A-Za-z0-9_@])"),
}
_URL_SECRET = re.compile(r"[?&#;](?:[a-z_]*token|key|api[_-]?key|sig|signature|secret|password|passwd|pwd|auth|code|session|sid)=", re.I)
_LONG_RANDOM = re.compile(r"/[A-Za-z0-9_-]{24,}")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _cn_id_ok(s: str) -> bool:
    s = s.upper()
    try:
        if len(s) == 18:
            born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
            weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
            check = "10X98765432"[sum(int(c) * w for c, w in zip(s[:17], weights)) % 11]
            return check == s[17] and 1900 <= born.year <= date.today().year
        born = date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))  # 15-digit ids (before 1999)
        return bool(born) and s[:2] in _CN_PROVINCES
    except ValueError:
        return False


_CN_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
                 "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"}


def _iban_ok(s: str) -> bool:
    s = s.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _valid(kind: str, text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    if kind == "URL":
        return bool(_URL_SECRET.search(text) or _LONG_RANDOM.search(text))
    if kind == "CN_ID":
        return _cn_id_ok(text)
    if kind == "CARD":
        return 13 <= len(digits) <= 19 and _luhn(digits)
    if kind == "IBAN":
        return _iban_ok(text)
    if kind == "IP":
        try:
            ipaddress.ip_address(text)
            return True
        except ValueError:
            return False
    if kind == "PHONE":
        return 7 <= len(digits) <= 15
    return True


class Redactor:
    """Find and replace personal data; placeholders are stable for the life of the instance.

    Examples
    --------
    >>> r = Redactor()
    >>> r.redact("Mail me at li.wei@example.com or call 13812345678, li.wei@example.com again")
    'Mail me at [EMAIL_1] or call [PHONE_1], [EMAIL_1] again'
    >>> r.redact("App 3.2.1 crashed on 2026-03-05, order 20260305123 cost ¥1,299")
    'App 3.2.1 crashed on 2026-03-05, order 20260305123 cost ¥1,299'
    """

    def __init__(self, kinds: tuple[str, ...] = KINDS) -> None:
        self.kinds = kinds
        self.mapping: dict[str, str] = {}
        self._by_value: dict[tuple[str, str], str] = {}
        self._counts: dict[str, int] = {}

    def findings(self, text: str) -> list[Finding]:
        """Non-overlapping matches; earlier kinds in ``KINDS`` win overlaps (a URL contains an email-like part)."""
        taken: list[Finding] = []
        for kind in self.kinds:
            for m in _PATTERNS[kind].finditer(text):
                if any(m.start() < f.end and f.start < m.end() for f in taken):
                    continue
                if _valid(kind, m.group()):
                    taken.append(Finding(kind, m.start(), m.end(), m.group()))
        return sorted(taken, key=lambda f: f.start)

    def redact(self, text: str) -> str:
        out, pos = [], 0
        for f in self.findings(text):
            out.append(text[pos : f.start])
            out.append(self._placeholder(f.kind, f.text))
            pos = f.end
        out.append(text[pos:])
        return "".join(out)

    def _placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            ph = f"[{kind}_{self._counts[kind]}]"
            self._by_value[key] = ph
            self.mapping[ph] = value
        return self._by_value[key]


def redact(text: str) -> str:
    """Redact one text with a fresh :class:`Redactor`."""
    return Redactor().redact(text)
