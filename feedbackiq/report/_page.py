"""``render_html``: a ThemeReport (and the GTM and card results, when given) -> one self-contained HTML page.

Self-contained means the file opens offline and fetches nothing: CSS, JavaScript and charts
(SVG) are inline, fonts are the system's. A Content-Security-Policy in the page forbids any
fetch and runs only the report's own script (by its hash), so even text that slipped past
escaping could not load or run anything. The filter's numbers travel in a JSON block
(``type="application/json"``: data the script reads, never code).
"""

from __future__ import annotations

import base64
import hashlib
import warnings
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from feedbackiq.report._appendix import appendix_section
from feedbackiq.report._context import build_context
from feedbackiq.report._filter import filter_control
from feedbackiq.report._gtm import personas_section, translations_section
from feedbackiq.report._heatmap import heatmap_section
from feedbackiq.report._html import esc, not_in_run
from feedbackiq.report._map import map_section
from feedbackiq.report._money import Currency
from feedbackiq.report._needs import needs_section
from feedbackiq.report._quotes import quotes_section
from feedbackiq.report._scorecard import scorecard_section, unowned_section
from feedbackiq.report._story import story_section
from feedbackiq.report._trends import impact_section, release_markers, trends_section
from feedbackiq.types import CardScores, FeatureTranslation, LLMOutcome, PersonaSet, RunManifest, ThemeReport

__all__ = ["render_html", "write_html_report"]

# (nav label, how to get the section when this run did not have its input)
_ABSENT = {
    "map": ("Map", "The map needs item positions: feedbackiq run computes them; in Python pass "
                   "coords=dict(zip(item_ids, project_2d(vectors)))."),
    "heatmap": ("Segments", "No segment columns in the feedback: map some with --map segments=plan,region."),
    "trends": ("Trends", "Too few dated items (needs 2 or more months): map a date column with --map created_at=..."),
    "impact": ("Impact", "No needs in this feedback."),
    "scorecard": ("Scorecard", "Run with --cards cards.yaml to score KPI cards against the feedback."),
    "unowned": ("Unowned demand", "Run with --cards cards.yaml to see the demand no card owns."),
    "personas": ("Personas", "Run personas (feedbackiq personas RUN_DIR --by company_size, or fiq.draft_personas)."),
    "features": ("Features", "Run with --features features.yaml to say each feature in each segment's words."),
}
_NAV = [("summary", "Summary"), ("needs", "Needs"), ("trends", "Trends"), ("impact", "Impact"), ("heatmap", "Segments"),
        ("map", "Map"), ("scorecard", "Scorecard"), ("unowned", "Unowned demand"), ("personas", "Personas"),
        ("features", "Features"), ("quotes", "Quotes"), ("appendix", "Appendix")]
# Computed by other steps on all the feedback: the filter cannot apply to them (the page says so).
_UNFILTERED = ("scorecard", "unowned", "personas", "features")


def _asset(name: str) -> str:
    return resources.files("feedbackiq.report").joinpath("_assets", name).read_text(encoding="utf-8")


def render_html(report: ThemeReport, *, personas: PersonaSet | None = None,
                translations: list[FeatureTranslation] | None = None, scorecard: CardScores | None = None,
                coords: Mapping[str, tuple[float, float]] | None = None, manifest: RunManifest | dict | None = None,
                title: str = "feedbackiq report", warnings: list[str] | None = None, currency: str | None = None,
                rates: Mapping[str, float] | None = None) -> str:
    """The whole report as one HTML document (a string); a section whose input is ``None`` says how to get it.

    Parameters
    ----------
    report : ThemeReport
        From :func:`feedbackiq.find_themes`. With ``report.feedback`` (its items) the page has its
        filter, NPS, open/lost deal values and segment sizes; without it, the needs' own totals.
    personas : PersonaSet, optional
    translations : list of FeatureTranslation, optional
    scorecard : CardScores, optional
        From :func:`feedbackiq.score_cards`: card verdicts on the first screen, the full scorecard,
        the demand no card owns, and launch dates on the trend chart.
    coords : dict of item id -> (x, y), optional
        Positions for the map, e.g. from :func:`project_2d` of the item embeddings.
    manifest : RunManifest or dict, optional
        The run manifest; shown in the appendix.
    title : str
    warnings : list of str, optional
        What a reader must know before anything else (e.g. LLM calls that failed), shown above the first section.
    currency : str, optional
        The currency of deal amounts that name none, and of every total (e.g. ``"USD"``). Default: not stated.
    rates : dict, optional
        The value of one unit of another currency in ``currency`` (``{"CNY": 0.14}``); amounts in a
        currency without a rate are shown apart, never added in.

    Examples
    --------
    >>> from feedbackiq.types import Need, Theme, ThemeReport
    >>> theme = Theme(id=0, name="<b>slow</b> support", size=3, need_id=0)
    >>> page = render_html(ThemeReport(themes=[theme], needs=[Need(id=0, name="<b>slow</b> support", theme_ids=[0])], n_items=3))
    >>> page.startswith("<!DOCTYPE html>"), "&lt;b&gt;slow&lt;/b&gt; support" in page, "<b>slow</b>" in page
    (True, True, False)
    """
    if scorecard is not None and not isinstance(scorecard, CardScores):
        raise TypeError("scorecard= takes the CardScores that score_cards returns (rows of dicts are no longer read)")
    ctx = build_context(report, Currency(currency, dict(rates or {})))
    if isinstance(manifest, RunManifest):
        manifest = manifest.model_dump(mode="json")
    built = {
        "summary": story_section(ctx, scorecard),
        "needs": needs_section(ctx),
        "trends": trends_section(ctx, release_markers(ctx.report, scorecard)),
        "impact": impact_section(ctx),
        "heatmap": heatmap_section(ctx),
        "map": map_section(ctx, coords) if coords else None,
        "scorecard": scorecard_section(scorecard, ctx.mixed_currency)
        if scorecard is not None else None,
        "unowned": unowned_section(scorecard, ctx.report) if scorecard is not None else None,
        "personas": personas_section(personas, ctx.report) if personas is not None else None,
        "features": translations_section(translations, ctx.report) if translations is not None else None,
        "quotes": quotes_section(ctx),
        "appendix": appendix_section(ctx.report, manifest, _outcomes(report, personas, translations)),
    }
    sections = []
    for anchor, html in built.items():
        if html is None:
            html = not_in_run(anchor, *_ABSENT[anchor])
        elif anchor in _UNFILTERED:   # a line only a filtered page shows
            html = html.replace("</h2>", '</h2><p class="unfiltered">Not filtered: computed on all feedback.</p>', 1)
        sections.append(html)
    nav = "".join(f'<a href="#{a}"{"" if built[a] is not None else " class=absent"}>{esc(label)}</a>' for a, label in _NAV)
    script = _asset("report.js")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
           "connect-src 'none'; font-src 'none'; form-action 'none'; base-uri 'none'")
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{esc(title)}</title>'
            f"<style>{_asset('report.css')}</style></head><body>"
            f'<header class="top"><h1>{esc(title)}</h1><p>Customer needs from the feedback, with the evidence. '
            f"Made {made} by feedbackiq; opens offline, loads nothing from the network.</p></header>"
            f'<div class="bar"><nav>{nav}</nav>{filter_control(ctx.options)}</div>'
            f"<main>{_warnings(warnings)}{''.join(sections)}</main>"
            f'<script type="application/json" id="report-data">{ctx.bind.payload()}</script>'
            f"<script>{script}</script></body></html>\n")


def _outcomes(report: ThemeReport, personas: PersonaSet | None,
              translations: list[FeatureTranslation] | None) -> list[LLMOutcome | None]:
    """The LLM steps' outcomes the report's inputs carry: names, persona drafts, feature messages."""
    messages = [t.llm_outcome for t in translations or [] if t.llm_outcome is not None]
    return [report.llm_outcome, personas.llm_outcome if personas is not None else None,
            LLMOutcome.merge("feature messages", messages) if messages else None]


def _warnings(lines: list[str] | None) -> str:
    if not lines:
        return ""
    return ('<div class="warnings" role="alert"><strong>Read this first</strong><ul>'
            + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul></div>")


def write_html_report(report: ThemeReport, path: str | Path, **kwargs) -> Path:
    """Write :func:`render_html` ``(report, **kwargs)`` to ``path`` (UTF-8); returns the path.

    The result first, then where it goes, as every ``write_*`` takes them. The older order ``(path, report)``
    still works, with a ``DeprecationWarning``.
    """
    if isinstance(path, ThemeReport) and not isinstance(report, ThemeReport):
        warnings.warn("write_html_report(path, report) is deprecated: pass the report first, as every write_* "
                      "takes it", DeprecationWarning, stacklevel=2)
        report, path = path, report
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report, **kwargs), encoding="utf-8")
    return out
