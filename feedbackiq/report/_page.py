"""``render_html``: a ThemeReport (and the GTM and card results, when given) -> one self-contained HTML page.

Self-contained means the file opens offline and fetches nothing: CSS, JavaScript and charts
(SVG) are inline, fonts are the system's. A Content-Security-Policy in the page forbids any
fetch and runs only the report's own script (by its hash), so even text that slipped past
escaping could not load or run anything.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from feedbackiq.report._cards import scorecard_section, unowned_section
from feedbackiq.report._growth import theme_growth
from feedbackiq.report._gtm import personas_section, translations_section
from feedbackiq.report._heatmap import heatmap_section
from feedbackiq.report._html import esc, not_in_run, theme_colors
from feedbackiq.report._map import map_section
from feedbackiq.report._overview import overview_section
from feedbackiq.report._themes import theme_quotes_section, theme_table_section
from feedbackiq.report._trends import trends_section
from feedbackiq.types import FeatureTranslation, PersonaSet, ThemeReport

__all__ = ["render_html", "write_html_report"]

# (anchor, nav label, how to get the section when this run did not have its input)
_ABSENT = {
    "map": ("Map", "The map needs item positions: feedbackiq run computes them; in Python pass "
                   "coords=dict(zip(item_ids, project_2d(vectors)))."),
    "heatmap": ("Segments", "No segment columns in the feedback: map some with --map segments=plan,region."),
    "trends": ("Trends", "Too few dated items (needs 2 or more months): map a date column with --map created_at=..."),
    "scorecard": ("Scorecard", "Run with --cards cards.yaml to score KPI cards against the feedback."),
    "unowned": ("Unowned demand", "Run with --cards cards.yaml to see the demand no card owns."),
    "personas": ("Personas", "Run personas (feedbackiq personas RUN_DIR --by company_size, or fiq.draft_personas)."),
    "features": ("Features", "Run with --features features.yaml to say each feature in each segment's words."),
}
_NAV = [("overview", "Overview"), ("themes", "Themes"), ("map", "Map"), ("heatmap", "Segments"), ("trends", "Trends"),
        ("scorecard", "Scorecard"), ("unowned", "Unowned demand"), ("personas", "Personas"), ("features", "Features"),
        ("quotes", "Quotes")]


def _asset(name: str) -> str:
    return resources.files("feedbackiq.report").joinpath("_assets", name).read_text(encoding="utf-8")


def render_html(report: ThemeReport, *, personas: PersonaSet | None = None,
                translations: list[FeatureTranslation] | None = None, scorecard: list[dict] | None = None,
                unowned: list[dict] | None = None, coords: dict[str, tuple[float, float]] | None = None,
                manifest: dict | None = None, title: str = "feedbackiq report", warnings: list[str] | None = None) -> str:
    """The whole report as one HTML document (a string); a section whose input is ``None`` says how to get it.

    Parameters
    ----------
    report : ThemeReport
        From :func:`feedbackiq.find_themes` (with ``report.feedback`` the overview, hover texts and
        segment sizes are complete; without it they are left out).
    personas : PersonaSet, optional
    translations : list of FeatureTranslation, optional
    scorecard : list of dict, optional
        Rows with keys card, kind, target, metric, actual, target_value, direction, status
        (pass/fail/unmatched/ambiguous/no_data), ratio, ci_low, ci_high, themes (theme ids).
    unowned : list of dict, optional
        Rows with keys theme_id, name, respondents, respondent_share, growth, deal_value, lost_value.
    coords : dict of item id -> (x, y), optional
        Positions for the map, e.g. from :func:`project_2d` of the item embeddings.
    manifest : dict, optional
        The run manifest; shown as a key/value table.
    title : str
    warnings : list of str, optional
        What a reader must know before anything else (e.g. LLM calls that failed), shown above the first section.

    Examples
    --------
    >>> from feedbackiq.types import Theme, ThemeReport
    >>> page = render_html(ThemeReport(themes=[Theme(id=0, name="<b>slow</b> support", size=3)], n_items=3))
    >>> page.startswith("<!DOCTYPE html>"), "&lt;b&gt;slow&lt;/b&gt; support" in page, "<b>slow</b>" in page
    (True, True, False)
    """
    colors = theme_colors(report.themes)
    growth = theme_growth(report)
    built = {
        "overview": overview_section(report, manifest),
        "themes": theme_table_section(report, colors, growth),
        "map": map_section(report, coords, colors) if coords else None,
        "heatmap": heatmap_section(report, colors),
        "trends": trends_section(report, colors, growth),
        "scorecard": scorecard_section(scorecard, report) if scorecard is not None else None,
        "unowned": unowned_section(unowned, report) if unowned is not None else None,
        "personas": personas_section(personas, report) if personas is not None else None,
        "features": translations_section(translations, report) if translations is not None else None,
        "quotes": theme_quotes_section(report, colors),
    }
    sections = [html if html is not None else not_in_run(anchor, *_ABSENT[anchor]) for anchor, html in built.items()]
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
            f'<header class="top"><h1>{esc(title)}</h1><p>Customer feedback turned into needs, with the evidence. '
            f"Made {made} by feedbackiq; opens offline, nothing is loaded from the network.</p></header>"
            f"<nav>{nav}</nav><main>{_warnings(warnings)}{''.join(sections)}</main>"
            f"<script>{script}</script></body></html>\n")


def _warnings(lines: list[str] | None) -> str:
    if not lines:
        return ""
    return ('<div class="warnings" role="alert"><strong>Read this first</strong><ul>'
            + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul></div>")


def write_html_report(path: str | Path, report: ThemeReport, **kwargs) -> Path:
    """Write :func:`render_html` ``(report, **kwargs)`` to ``path`` (UTF-8); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report, **kwargs), encoding="utf-8")
    return out
