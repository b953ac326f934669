"""What every section of the page shares: the views under each filter option, colours, currency, and
which measures the data have at all."""

from __future__ import annotations

from dataclasses import dataclass

from feedbackiq.report._facts import ItemFacts, Option
from feedbackiq.report._filter import Bindings
from feedbackiq.report._html import need_colors
from feedbackiq.report._money import Currency
from feedbackiq.report._stats import Views, view_from_report
from feedbackiq.types import Need, ThemeReport

__all__ = ["Context", "build_context"]


@dataclass
class Context:
    report: ThemeReport
    needs: list[Need]                 # the need level (one per theme for a report made before needs existed)
    bind: Bindings
    colors: dict[int, str]            # need id -> colour
    currency: Currency
    facts: ItemFacts | None           # None: the report came without its items
    options: list[Option]
    has_rating: bool
    has_nps: bool
    has_money: bool
    apart: set[str]                   # currencies shown apart (no rate)
    mixed_currency: bool              # some amounts name a currency other than the report's

    def need_of_theme(self) -> dict[int, Need]:
        return {t: n for n in (*self.needs, *self.report.non_needs) for t in n.theme_ids}


def _as_needs(report: ThemeReport) -> ThemeReport:
    """A report from before the need level: each theme stands for a need, so the page still reads."""
    if report.needs or not report.themes:
        return report
    needs = [Need(**t.model_dump(exclude={"need_id", "parent_id", "subthemes"}), theme_ids=[t.id]) for t in report.themes]
    return report.model_copy(update={"needs": needs})


def build_context(report: ThemeReport, currency: Currency, filters: bool = True) -> Context:
    """Everything the sections share; ``filters=False`` computes the "All feedback" view only."""
    report = _as_needs(report)
    if report.feedback is not None and report.feedback.items:
        facts = ItemFacts(report, currency)
        views_of = Views(facts)
        options = facts.options(views_of.segment_sizes()) if filters else [Option(0, "all", "All feedback")]
        views = [views_of.view(o) for o in options]
        has = (facts.has_rating, facts.has_nps, facts.has_money)
        apart, mixed = set(facts.apart_currencies), bool(facts.foreign_currencies)
    else:
        facts, views = None, [view_from_report(report)]
        options = [views[0].option]
        has = (any(s.rating is not None for s in views[0].needs), False, False)
        apart, mixed = set(), False
    return Context(report, report.needs, Bindings(views), need_colors(report), currency, facts, options, *has, apart, mixed)
