"""The HTML report without a browser: escaping, sections, sort data, self-containedness, growth, 2-D map."""

from __future__ import annotations

import base64
import hashlib
import math
import re
from datetime import datetime
from html.parser import HTMLParser

import numpy as np
import pytest

import feedbackiq as fiq
from feedbackiq.report import project_2d, render_html, theme_growth, write_html_report

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


class Page(HTMLParser):
    """Every element as (tag, attrs), plus each element's text, from a rendered page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _item(k: int, text: str, lang: str = "en", **kw) -> fiq.FeedbackItem:
    return fiq.FeedbackItem(id=f"i{k}", text=text, source="survey", respondent_id=f"r{k}", language=lang,
                            created_at=datetime(2026, 1 + k % 6, 1), **kw)


def _report(name: str = "slow support", text: str = "support takes days", deal: float | None = 1200.0) -> fiq.ThemeReport:
    items = [_item(k, f"{text} {k}", segments={"plan": "Pro" if k % 2 else "Free"}) for k in range(6)]
    items.append(_item(6, "客服回复太慢了", lang="zh", segments={"plan": "Pro"}))
    a = fiq.Theme(id=0, name=name, keywords=["support", "days"], size=4, respondents=4, respondent_share=4 / 7,
                  quotes=[fiq.Quote(item_id="i0", text=items[0].text, source="survey", respondent_id="r0"),
                          fiq.Quote(item_id="i6", text=items[6].text, source="survey", respondent_id="r6")],
                  by_segment={"plan": {"Pro": 3, "Free": 1}}, by_period=dict(zip(MONTHS, [2, 1, 0, 1, 2, 2])),
                  by_sentiment={"negative": 3, "neutral": 1}, mean_rating=None, deal_value=deal)
    b = fiq.Theme(id=1, name="battery", keywords=["battery"], size=3, respondents=3, respondent_share=3 / 7,
                  quotes=[fiq.Quote(item_id="i1", text=items[1].text, source="review", respondent_id="r1")],
                  by_segment={"plan": {"Free": 2, "Pro": 1}}, by_period=dict(zip(MONTHS, [1, 1, 1, 1, 1, 1])),
                  mean_rating=1.5, deal_value=None)
    assignments = [fiq.Assignment(item_id=it.id, theme_id=0 if k in (0, 2, 4, 6) else 1, probability=1.0)
                   for k, it in enumerate(items)]
    return fiq.ThemeReport(themes=[a, b], assignments=assignments, n_items=7, n_respondents=7,
                           model_ids={"embedding": "all-MiniLM-L6-v2"}, feedback=fiq.FeedbackSet(items=items))


def test_user_text_is_escaped_everywhere():
    report = _report(name=EVIL, text=EVIL)
    report.themes[0].keywords = [EVIL]
    report.themes[0].need_statement = EVIL
    report.feedback.items[0].segments = {EVIL: EVIL}
    report.themes[0].by_segment = {EVIL: {EVIL: 1}}
    personas = fiq.PersonaSet(mode="segment", by=EVIL, personas=[fiq.Persona(
        id=0, label=EVIL, summary=EVIL, preferred_words=[EVIL],
        pains=[fiq.Claim(text=EVIL, citations=[fiq.Citation(item_id="i0", quote=EVIL)])])])
    translations = [fiq.FeatureTranslation(feature=fiq.Feature(name=EVIL, description=EVIL), messages=[
        fiq.SegmentMessage(persona=EVIL, words_they_use=[EVIL], jargon_to_avoid=[EVIL], headline=EVIL)])]
    page = render_html(report, personas=personas, translations=translations, title=EVIL,
                       scorecard=[{"card": EVIL, "target": EVIL, "metric": EVIL, "status": EVIL, "needs": [0, EVIL]}],
                       unowned=[{"need_id": 0, "name": EVIL}], coords={"i0": (0.0, 1.0), "i1": (1.0, 0.0)},
                       manifest={EVIL: EVIL})
    parsed = Page(page)
    assert len(parsed.find("script")) == 1, "only the report's own script"
    assert not parsed.find("img")
    assert "<script>alert" not in page and "onerror=alert" not in page.replace("&lt;img src=x onerror=alert", "")
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 15


def test_sections_without_input_say_how_to_get_them():
    page = render_html(_report())
    for anchor, hint in (("scorecard", "--cards cards.yaml"), ("unowned", "--cards cards.yaml"),
                         ("personas", "feedbackiq personas"), ("features", "--features features.yaml"),
                         ("map", "project_2d")):
        section = re.search(rf'<section id="{anchor}" class="absent">(.*?)</section>', page)
        assert section and "Not in this run." in section.group(1) and hint in section.group(1), anchor
    assert 'id="scorecard"' in page and "<table id=\"scorecard\"" not in page
    # Given, even empty, a section is drawn (an empty scorecard is a result, not a missing input).
    page = render_html(_report(), scorecard=[], unowned=[])
    assert '<table id="scorecard"' in page and '<section id="scorecard" class="absent">' not in page


def test_theme_rows_carry_the_values_they_sort_by():
    report = _report()
    parsed = Page(render_html(report))
    heads = [a["data-key"] for a in parsed.find("th") if "data-key" in a]
    assert heads == ["id", "name", "respondents", "items", "growth", "rating", "deal", "negative"]
    rows = re.findall(r'<tr data-theme="(\d+)">(.*?)</tr>', render_html(report))
    assert [int(r[0]) for r in rows] == [0, 1]
    sort_values = [re.findall(r'data-sort="([^"]*)"', cells) for _, cells in rows]
    a, b = report.themes
    growth = theme_growth(report)
    assert sort_values[0] == ["0", "slow support", "4", "4", repr(growth[0].change), "", "1200.0", "0.75"]
    assert sort_values[1] == ["1", "battery", "3", "3", repr(growth[1].change), "1.5", "", ""]


def test_page_is_self_contained():
    page = render_html(_report(), coords={"i0": (0.0, 0.0), "i1": (1.0, 1.0)},
                       personas=fiq.PersonaSet(mode="segment", personas=[]), translations=[])
    parsed = Page(page)
    assert not parsed.find("link") and not parsed.find("iframe") and not parsed.find("img")
    assert all("src" not in attrs for _, attrs in parsed.elements)
    for _, attrs in parsed.elements:
        for key in ("href", "src", "action", "xlink:href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key, "")), attrs
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|import\()", "".join(parsed.scripts))
    # The policy forbids every fetch and runs the report's script only, by its hash.
    csp = parsed.find("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp


def test_chinese_is_written_as_utf8_with_a_chinese_font(tmp_path):
    path = write_html_report(tmp_path / "out" / "report.html", _report())
    raw = path.read_bytes()
    assert raw.startswith(b"<!DOCTYPE html>") and b'<meta charset="utf-8">' in raw[:200]
    page = raw.decode("utf-8")
    assert '<p lang="zh-CN">客服回复太慢了</p>' in page
    assert "WenQuanYi" in page and "Microsoft YaHei" in page and "PingFang SC" in page


def test_growth_is_share_of_recent_months_vs_the_months_before():
    report = _report()
    g = theme_growth(report)
    # Theme 0: 5 of the 8 items dated Apr-Jun vs 3 of the 6 dated Jan-Mar -> +25%.
    assert g[0].recent_share == pytest.approx(5 / 8) and g[0].previous_share == pytest.approx(3 / 6)
    assert g[0].change == pytest.approx(0.25)
    assert g[1].change == pytest.approx((3 / 8) / (3 / 6) - 1)
    assert g[0].recent == ("2026-04", "2026-06") and g[0].previous == ("2026-01", "2026-03")
    report.themes[1].by_period = {"2026-05": 4, "2026-06": 2}  # absent before, 6 items now
    assert theme_growth(report)[1].change == math.inf
    report.themes[0].by_period = {"2026-05": 1, "2026-06": 1}
    report.themes[1].by_period = {"2026-06": 1}
    assert theme_growth(report) == {0: None, 1: None}  # fewer than 6 months of data


def test_heatmap_cells_are_shares_of_each_segment():
    page = render_html(_report())
    cells = re.findall(r'<td class="hm n" data-count="(\d+)" title="([^"]*)"', page)
    # Pro has 4 respondents (r1, r3, r5, r6), Free 3.
    assert ("3", "3 of 4 respondents in Pro voice this need") in cells
    assert ("2", "2 of 3 respondents in Free voice this need") in cells
    assert len(cells) == 2 * 2


def test_map_draws_every_placed_item_and_samples_large_sets(monkeypatch):
    report = _report()
    coords = {it.id: (float(k), float(k % 3)) for k, it in enumerate(report.feedback.items)}
    svg = re.search(r'<svg id="item-map".*?</svg>', render_html(report, coords=coords)).group(0)
    assert svg.count("<circle ") == 7 and "客服回复太慢了" in svg
    import feedbackiq.report._map as map_module

    monkeypatch.setattr(map_module, "MAX_MAP_POINTS", 3)
    page = render_html(report, coords=coords)
    svg = re.search(r'<svg id="item-map".*?</svg>', page).group(0)
    assert svg.count("<circle ") == 3 and "even sample of 3 of 7 items" in page


def test_project_2d_is_deterministic_and_checks_its_input(monkeypatch):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 16)) * np.r_[5.0, 2.0, np.full(14, 0.3)]  # known main directions: the first two axes
    P = project_2d(X)
    assert P.shape == (300, 2) and np.array_equal(P, project_2d(X))
    assert abs(np.corrcoef(P[:, 0], X[:, 0])[0, 1]) > 0.95 and abs(np.corrcoef(P[:, 1], X[:, 1])[0, 1]) > 0.9
    import feedbackiq.report._project as project_module

    monkeypatch.setattr(project_module, "PCA_FIT_ROWS", 100)  # axes from a sample, every row projected
    Q = project_2d(X, seed=3)
    assert Q.shape == (300, 2) and abs(np.corrcoef(Q[:, 0], P[:, 0])[0, 1]) > 0.99
    bad = X.copy()
    bad[7, 2] = np.nan
    with pytest.raises(fiq.InputError, match="row 7"):
        project_2d(bad)
    with pytest.raises(fiq.InputError, match="2-D"):
        project_2d(X[0])
    assert project_2d(np.zeros((0, 5))).shape == (0, 2)


def test_full_sample_report_renders_every_theme(sample_report):
    fs, report = sample_report
    personas = fiq.draft_personas(report, by="company_size")
    page = render_html(report, personas=personas)
    for t in report.themes:
        assert f'<article class="theme" id="theme-{t.id}">' in page
    assert page.count('<article class="persona">') == len(personas.personas)
    assert 'lang="zh-CN"' in page


def test_report_without_its_items_still_renders():
    report = _report()
    report.feedback = None  # e.g. a ThemeReport saved without the feedback set
    page = render_html(report, coords={"i0": (0.0, 0.0)}, scorecard=[{}], unowned=[{}])
    assert "Dates</th><td>—" in page and page.count('<tr data-theme="') == 2
    # No segment sizes without the items: cells show and shade by respondent counts instead.
    assert re.findall(r'<td class="hm n" data-count="(\d+)" title="(\d+) respondents"', page)[:2] == [("3", "3"), ("1", "1")]


def test_card_rows_as_the_scorer_gives_them():
    """``CardScores.to_pandas().to_dict("records")``: NaN for missing numbers, need ids as "3;4", shown by
    name and linked to the need's largest theme."""
    report = _report()
    report.needs = [fiq.Need(id=0, name="answers take days", theme_ids=[0]), fiq.Need(id=1, name="battery life", theme_ids=[1])]
    rows = [{"card": "Support", "kind": "demand_validation", "target": "fast replies", "metric": "respondent_share",
             "actual": 0.08, "target_value": 0.05, "direction": "max", "status": "fail", "ratio": 0.6,
             "ci_low": float("nan"), "ci_high": float("nan"), "needs": "0;1"},
            {"card": "Dialects", "kind": "revenue_bet", "target": "asr", "metric": "pipeline_value", "actual": float("nan"),
             "target_value": 100000.0, "direction": "min", "status": "unmatched", "ratio": float("nan"),
             "ci_low": float("nan"), "ci_high": float("nan"), "needs": ""}]
    unowned = [{"need_id": 1, "name": "battery life", "respondents": 3, "respondent_share": 0.43, "growth": 1.5,
                "recent_items": 6, "deal_value": 0.0, "lost_deal_value": 2500.0, "reasons": ["large", "growing"]}]
    page = render_html(report, scorecard=rows, unowned=unowned)
    card_rows = re.findall(r'<tr class="card-row" data-status="(\w+)">(.*?)</tr>', page)
    assert [s for s, _ in card_rows] == ["fail", "unmatched"]
    first, second = card_rows[0][1], card_rows[1][1]
    assert "at most 0.05" in first and "60%" in first and "nan" not in (first + second).lower()
    assert '<a href="#theme-0">answers take days</a>, <a href="#theme-1">battery life</a>' in first
    assert "at least 100,000" in second and second.count("—") >= 3
    unowned_row = re.search(r'<table id="unowned".*?<tbody>(.*?)</tbody>', page).group(1)
    assert "+50%" in unowned_row and "2,500" in unowned_row and "large, growing" in unowned_row
    assert '<a href="#theme-1">battery life</a>' in unowned_row


def test_positions_for_the_drawn_sample_only_draw_the_same_map(monkeypatch):
    # feedbackiq run computes positions only for the items map_sample picks (a million positions
    # were hundreds of MB for 4,000 dots): the map must come out the same as with every position.
    import feedbackiq.report._map as map_module
    from feedbackiq.report import map_sample

    monkeypatch.setattr(map_module, "MAX_MAP_POINTS", 3)
    report = _report()
    coords = {it.id: (float(k), float(k % 3)) for k, it in enumerate(report.feedback.items)}
    drawn = {a.item_id for a in map_sample(report.assignments)}
    some = {k: v for k, v in coords.items() if k in drawn}
    svg = lambda c: re.search(r'<svg id="item-map".*?</svg>', render_html(report, coords=c)).group(0)  # noqa: E731
    assert len(some) == 3 and svg(some) == svg(coords)
    assert "even sample of 3 of 7 items" in render_html(report, coords=some)
