"""Deal values in one currency: converted at a rate the user gives, or kept apart, never summed as bare numbers.

Ingest keeps the currency an amount names in ``metadata["deal_currency"]`` (``$12,000`` is USD,
``1.2万`` CNY); a bare number is in the report's currency (``Currency.code``, or unstated when none
is configured). An amount in another currency joins the total at ``rates[code]`` (the value of one
unit of it in the report's currency); without a rate it is shown apart, with its own unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from feedbackiq.report._html import DASH, esc

__all__ = ["Currency", "MoneySum", "compact"]


@dataclass(frozen=True)
class Currency:
    """The report's currency (``None``: amounts as exported, unit not stated) and conversion rates into it.

    >>> c = Currency("USD", {"CNY": 0.14})
    >>> c.resolve(None), c.resolve("USD"), c.resolve("CNY"), c.resolve("EUR")
    ((None, 1.0), (None, 1.0), (None, 0.14), ('EUR', 1.0))
    """

    code: str | None = None
    rates: Mapping[str, float] = field(default_factory=dict)

    def resolve(self, currency: str | None) -> tuple[str | None, float]:
        """(kept-apart currency or ``None`` for the main total, factor to multiply the amount by)."""
        if currency is None or currency == self.code:
            return None, 1.0
        if currency in self.rates:
            return None, float(self.rates[currency])
        return currency, 1.0

    def unit(self) -> str:
        return self.code or ""

    def describe(self, apart: set[str]) -> str:
        """One sentence on how amounts were added up, for the notes under money columns."""
        if self.code:
            how = f"Deal values in {self.code}"
            if self.rates:
                how += " (" + ", ".join(f"1 {k} = {v:g} {self.code}" for k, v in sorted(self.rates.items())) + ")"
        else:
            how = "Deal values as the exports give them (no currency configured: [output] currency)"
        if apart:
            how += "; amounts in " + ", ".join(sorted(apart)) + " have no rate and are shown apart ([output] rates)"
        return how + "."


def compact(value: float) -> str:
    """A money amount short enough for a table cell.

    >>> compact(1015700), compact(675300), compact(10300), compact(950), compact(2.5e9)
    ('1.02M', '675k', '10.3k', '950', '2.5B')
    """
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            v = value / size
            return f"{v:.3g}{suffix}" if v < 1000 else f"{v:,.0f}{suffix}"
    return f"{value:,.0f}"


@dataclass
class MoneySum:
    """A sum of deal values: ``main`` in the report's currency, ``apart`` per currency without a rate."""

    main: float = 0.0
    apart: dict[str, float] = field(default_factory=dict)
    n: int = 0                        # sales notes with an amount that went in

    def __bool__(self) -> bool:
        return bool(self.main or any(self.apart.values()))

    def sort_value(self) -> float:
        return self.main

    def text(self, currency: Currency, short: bool = True) -> str:
        """``675k`` / ``USD 675k`` / ``675k + CNY 340k``; a dash when nothing went in."""
        if not self:
            return DASH
        fmt = compact if short else (lambda v: f"{v:,.0f}")
        parts = [f"{currency.unit()} {fmt(self.main)}".strip()] if self.main or not self.apart else []
        parts += [f"{code} {fmt(v)}" for code, v in sorted(self.apart.items()) if v]
        return " + ".join(parts)

    def html(self, currency: Currency) -> str:
        """:meth:`text`, with the full amounts on hover."""
        return f'<span title="{esc(self.text(currency, short=False))}">{esc(self.text(currency))}</span>'
