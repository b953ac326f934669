"""The HTML report without a browser: escaping, needs and praise, the filter's numbers, trends, money, NPS,
scorecard parity, self-containedness, 2-D map."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from datetime import date, datetime
from html.parser import HTMLParser

import numpy as np
import pytest

import feedbackiq as fiq
from feedbackiq.report import project_2d, render_html, summary_markdown, theme_growth, write_html_report
from feedbackiq.types import CardResult, CardScores, MatchedNeed, PhaseStatus, TargetResult, UnownedNeed

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


class Page(HTMLParser):
    """Every element as (tag, attrs), plus each element's text, from a rendered page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []      # code the page runs (not its JSON data block)
        self.data: list[str] = []         # <script type="application/json">
        self._in: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._in = self.data if dict(attrs).get("type") == "application/json" else self.scripts
            self._in.append("")

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self._in[-1] += data

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def _item(k: int, text: str, source: str = "survey", lang: str = "en", month: int | None = None, **kw) -> fiq.FeedbackItem:
    return fiq.FeedbackItem(id=f"i{k}", text=text, source=source, respondent_id=f"r{k}", language=lang,
                            created_at=datetime(2026, month or 1 + k % 6, 1),
                            origin=fiq.Origin(file=f"{source}.csv", row=k + 2), **kw)


def _report(name: str = "slow support", text: str = "support takes days") -> fiq.ThemeReport:
    """Need 0 (support: 13 survey answers with 0-10 scores, 3 sales notes), need 1 (battery: 8 one-star
    reviews), and praise (20 five-star reviews: larger than either need), one item in no theme."""
    items, theme_of = [], []
    for k in range(12):   # with item 12: 3 promoters, 3 passives, 7 detractors
        items.append(_item(k, f"{text} {k}", rating=[10, 9, 9, 8, 7, 7, 3, 2, 5, 6, 1, 0][k],
                           segments={"plan": "Pro" if k % 3 else "Free"}))
        theme_of.append(0)
    items.append(_item(12, "客服回复太慢了", lang="zh", rating=2.0, segments={"plan": "Pro"}))
    theme_of.append(0)
    for k, (value, stage, cur) in enumerate([(10000.0, "open", None), (5000.0, "open", "USD"), (50000.0, "lost", "CNY")]):
        items.append(_item(13 + k, f"support never answers, deal {k}", source="sales_note", deal_value=value,
                           deal_stage=stage, metadata={"deal_currency": cur} if cur else {}, segments={"plan": "Pro"}))
        theme_of.append(0)
    for k in range(16, 24):
        items.append(_item(k, f"battery dies by noon {k}", source="review", rating=1.0))
        theme_of.append(1)
    for k in range(24, 44):
        items.append(_item(k, f"great app, thanks {k}", source="review", rating=5.0))
        theme_of.append(2)
    items.append(_item(44, "what about the weather", source="review", rating=3.0))
    theme_of.append(-1)

    def group(gid: int, cls, **kw):
        idx = [i for i, t in enumerate(theme_of) if t == gid]
        return cls(id=gid, name=kw.pop("name"), size=len(idx), respondents=len(idx), respondent_share=len(idx) / len(items),
                   quotes=[fiq.Quote(item_id=items[i].id, text=items[i].text, source=items[i].source.value,
                                     respondent_id=items[i].respondent_id) for i in idx[:2] + idx[12:14]], **kw)

    themes = [group(0, fiq.Theme, name=name, keywords=["support", "days"], need_id=0),
              group(1, fiq.Theme, name="battery", keywords=["battery"], need_id=1),
              group(2, fiq.Theme, name="good / great", keywords=["great"], need_id=2)]
    needs = [group(0, fiq.Need, name=name, theme_ids=[0], keywords=["support"]),
             group(1, fiq.Need, name="battery life", theme_ids=[1], keywords=["battery"])]
    praise = [group(2, fiq.Need, name="Praise and thanks", theme_ids=[2], kind="praise")]
    other = fiq.Theme(id=-1, name="Other (unassigned)", size=1, respondents=1,
                      quotes=[fiq.Quote(item_id="i44", text=items[44].text, source="review", respondent_id="r44")])
    assignments = [fiq.Assignment(item_id=it.id, theme_id=t, probability=1.0, need_id=t if t >= 0 else None)
                   for it, t in zip(items, theme_of)]
    return fiq.ThemeReport(themes=themes, needs=needs, non_needs=praise, other=other, assignments=assignments,
                           n_items=len(items), n_respondents=len(items), model_ids={"embedding": "all-MiniLM-L6-v2"},
                           feedback=fiq.FeedbackSet(items=items))


def _scores(name: str = "Support card") -> CardScores:
    """Three cards: a demand card at risk (a pass that is not sure), a launch card failing with a phase
    behind and a baseline, a revenue card."""
    share = TargetResult(card=name, kind="demand_validation", target="support is voiced", metric="respondent_share",
                         direction="min", target_value=0.1, actual=0.331, status="pass", ratio=3.31, ci_low=0.08,
                         ci_high=0.5, confident=False, needs=[MatchedNeed(need_id=0, name="slow support", similarity=0.61)])
    launch = TargetResult(card="Launch", kind="launch_cadence", target="battery after launch", metric="mention_share",
                          direction="max", target_value=0.1, actual=0.331, status="fail", ratio=0.3, ci_low=0.258,
                          ci_high=0.413, confident=True, baseline=0.101, needs=[MatchedNeed(need_id=1, name="battery life")])
    money = TargetResult(card="Bet", kind="revenue_bet", target="lost deals", metric="lost_deal_value", direction="max",
                         target_value=200000, actual=1015700, status="fail", confident=True)
    return CardScores(as_of=date(2026, 11, 20), cards=[
        CardResult(name=name, kind="demand_validation", status="at_risk", targets=[share]),
        CardResult(name="Launch", kind="launch_cadence", status="fail", targets=[launch], launch_date=date(2026, 3, 15),
                   feature="Battery saver", phases=[PhaseStatus(name="presale", start=date(2026, 2, 1), status="ready"),
                                                    PhaseStatus(name="roll-out", start=date(2026, 3, 15), status="behind")]),
        CardResult(name="Bet", kind="revenue_bet", status="fail", targets=[money])],
        unowned=[UnownedNeed(need_id=1, name="battery life", respondents=8, respondent_share=0.18, growth=1.5,
                             lost_deal_value=2500.0, reasons=["large", "growing"])])


def _bound(page: str) -> tuple[dict, dict[int, str]]:
    """The page's filter data and, per bound element index, the element's first 300 characters of markup."""
    parsed = Page(page)
    data = json.loads(parsed.data[0])
    where = {int(m.group(1)): page[m.start() - 120:m.start() + 200] for m in re.finditer(r'data-b="(\d+)"', page)}
    return data, where


def _need_row(page: str, need_id: int) -> list[int]:
    """The binding index of each value cell of a need's row in the need table, in column order."""
    row = re.search(rf'<tbody class="need-group" data-need="{need_id}"><tr class="need-row">(.*?)</tr>', page).group(1)
    return [int(k) for k in re.findall(r'data-b="(\d+)"', row)]


def _bound_text(data: dict, index: int, option: int) -> str:
    v = data["text"][option][index]
    return data["strings"][v if isinstance(v, int) else v[0]]


def test_user_text_is_escaped_everywhere():
    report = _report(name=EVIL, text=EVIL)
    report.themes[0].keywords = [EVIL]
    report.needs[0].need_statement = EVIL
    report.feedback.items[0].segments = {EVIL: EVIL}
    personas = fiq.PersonaSet(mode="segment", by=EVIL, personas=[fiq.Persona(
        id=0, label=EVIL, summary=EVIL, preferred_words=[EVIL],
        pains=[fiq.Claim(text=EVIL, citations=[fiq.Citation(item_id="i0", quote=EVIL)])])])
    translations = [fiq.FeatureTranslation(feature=fiq.Feature(name=EVIL, description=EVIL), messages=[
        fiq.SegmentMessage(persona=EVIL, words_they_use=[EVIL], jargon_to_avoid=[EVIL], headline=EVIL)])]
    scores = _scores(name=EVIL)
    scores.unowned[0].name = EVIL
    page = render_html(report, personas=personas, translations=translations, title=EVIL, scorecard=scores,
                       coords={"i0": (0.0, 1.0), "i1": (1.0, 0.0)}, manifest={EVIL: EVIL})
    parsed = Page(page)
    assert len(parsed.scripts) == 1, "only the report's own script runs"
    assert len(parsed.data) == 1 and "<" not in parsed.data[0], "the data block cannot end itself early"
    assert not parsed.find("img")
    html = page.replace(parsed.data[0], "")   # the data block is JSON text, read by the script, never parsed as HTML
    assert "<script>alert" not in html and "onerror=alert" not in html.replace("&lt;img src=x onerror=alert", "")
    assert html.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") >= 15
    # Values the script puts in as markup are markup this package escaped; the rest go in as text.
    data = json.loads(parsed.data[0])
    markup = {data["strings"][i] for row in data["html"] for i in row}
    assert markup and not any("<script>" in m or "<img" in m for m in markup)


def test_sections_without_input_say_how_to_get_them():
    page = render_html(_report())
    for anchor, hint in (("scorecard", "--cards cards.yaml"), ("unowned", "--cards cards.yaml"),
                         ("personas", "feedbackiq personas"), ("features", "--features features.yaml"),
                         ("map", "project_2d")):
        section = re.search(rf'<section id="{anchor}" class="absent">(.*?)</section>', page)
        assert section and "Not in this run." in section.group(1) and hint in section.group(1), anchor
    assert "No KPI cards in this run" in page
    # Given, even empty, a section is drawn (an empty scorecard is a result, not a missing input).
    page = render_html(_report(), scorecard=CardScores(as_of=date(2026, 1, 1)))
    assert '<section id="scorecard"><h2>' in page and '<section id="scorecard" class="absent">' not in page
    with pytest.raises(TypeError, match="CardScores"):
        render_html(_report(), scorecard=[{"card": "rows"}])


def test_need_table_nests_themes_and_sets_praise_apart():
    report = _report()
    page = render_html(report)
    table = re.search(r'<table id="need-table".*?</table>', page).group(0)
    groups = re.findall(r'<tbody class="need-group" data-need="(\d+)">(.*?)</tbody>', table)
    assert [int(n) for n, _ in groups] == [0, 1], "needs only, largest first: praise is never a row"
    assert re.findall(r'<tr class="theme-row" data-theme="(\d+)" hidden>', groups[0][1]) == ["0"]
    sort_values = re.findall(r'data-sort="([^"]*)"', groups[0][1].split('<tr class="theme-row"')[0])
    assert sort_values[:4] == ["slow support", "16", "16", repr(10 / 16)]   # name, respondents, items, negative
    assert "good / great" not in table and "Praise and thanks" not in table
    assert "20 items of praise and small talk set apart" in page and "1 item fits no theme" in page
    # ... nor on the first screen, in the heatmap, the trends or the impact chart.
    for anchor in ("summary", "heatmap", "trends", "impact"):
        section = re.search(rf'<section id="{anchor}".*?</section>', page, re.S).group(0)
        assert "Praise and thanks" not in section and "good / great" not in section, anchor
    story = re.search(r'<table id="top-needs".*?</table>', page).group(0)
    assert story.index("slow support") < story.index("battery life")


def test_filter_numbers_are_computed_for_every_option():
    page = render_html(_report())
    data, where = _bound(page)
    labels = [o["label"] for o in data["options"]]
    assert labels[0] == "All feedback" and {"Survey answers", "App reviews", "Sales notes", "Pro"} <= set(labels)
    assert "Free" not in labels   # 4 respondents: too few to be worth a filter
    assert "2026 Q1" in labels and "2026 Q2" in labels
    cell = _need_row(page, 0)[0]
    # The need table's respondents cell of need 0 under each source: counted from the items by hand.
    for label, expected in (("All feedback", "16 (36%)"), ("Sales notes", "3 (100%)"), ("Survey answers", "13 (100%)"),
                            ("App reviews", "0 (0%)"), ("Pro", "12 (100%)")):
        assert _bound_text(data, cell, labels.index(label)) == expected, label
    # Quotes carry the options that keep them: a sales note's quote is kept by "Sales notes", not by "App reviews".
    keeps = dict(re.findall(r'<blockquote class="quote" data-f="([^"]*)"><p[^>]*>(support never answers, deal 0)', page))
    assert keeps and str(labels.index("Sales notes")) in next(iter(keeps)).split()
    assert str(labels.index("App reviews")) not in next(iter(keeps)).split()


def test_trend_needs_volume_and_a_real_change():
    from feedbackiq.report._stats import MIN_TREND, trend_of

    months = [f"2026-{m:02d}" for m in range(1, 10)]
    totals = np.full(9, 100)
    too_few = trend_of(np.array([1, 0, 1, 0, 0, 1, 2, 3, 4]), totals, months)
    assert too_few.state == "too_few" and too_few.text() == "too few to tell"   # 12 < MIN_TREND: no "+300%"
    assert MIN_TREND > 12
    rising = trend_of(np.array([5, 5, 5, 5, 5, 5, 15, 16, 14]), totals, months)
    assert rising.state == "rising" and rising.change == pytest.approx(2.0) and rising.text() == "↑ +200% rising"
    noise = trend_of(np.array([5, 6, 5, 4, 5, 6, 6, 5, 7]), totals, months)
    assert noise.state == "steady" and "no clear change" in noise.text()
    new = trend_of(np.array([0, 0, 0, 0, 0, 0, 8, 9, 9]), totals, months)
    assert new.state == "new"
    assert trend_of(np.array([5, 5, 5, 5]), np.full(4, 100), months[:4]).state == "few_months"


def test_deal_values_in_one_currency_or_kept_apart():
    report = _report()
    page = render_html(report)
    data, _ = _bound(page)
    *_, open_, lost = _need_row(page, 0)   # the last two columns
    # 10,000 with no currency named, 5,000 named USD (open); 50,000 named CNY (lost): never "15k" or "65k".
    assert (_bound_text(data, open_, 0), _bound_text(data, lost, 0)) == ("10k + USD 5k", "CNY 50k")
    page = render_html(report, currency="USD", rates={"CNY": 0.14})
    data, _ = _bound(page)
    assert (_bound_text(data, open_, 0), _bound_text(data, lost, 0)) == ("USD 15k", "USD 7k")
    assert "Open deals (USD)" in page and "1 CNY = 0.14 USD" in page


def test_nps_per_need_only_where_the_export_has_it():
    report = _report()
    page = render_html(report)
    assert ">NPS <" in page or "NPS</button>" in page
    data, _ = _bound(page)
    nps = _need_row(page, 0)[4]   # respondents, items, negative, rating, NPS
    assert _bound_text(data, nps, 0) == "−31"   # (3 promoters - 7 detractors) / 13 scored respondents
    for it in report.feedback.items:   # no 0-10 scores: no NPS column at all
        if it.source.value == "survey":
            it.rating = None
    page = render_html(report)
    assert "NPS" not in re.search(r'<table id="need-table".*?</thead>', page).group(0)


def test_scorecard_says_what_scorecard_md_says():
    scores = _scores()
    page = render_html(_report(), scorecard=scores)
    section = re.search(r'<section id="scorecard">.*?</section>', page, re.S).group(0)
    assert "<b>0 pass</b>, <b>1 at risk</b>, <b>2 fail</b>" in section
    assert [s for s in re.findall(r'<article class="card-result" id="card-\d" data-status="(\w+)">', section)] == \
        ["at_risk", "fail", "fail"]
    assert "roll-out from 2026-03-15: " in section and "BEHIND" in section and "not sure" in section
    assert "before launch: 10.1%" in section and "33.1%" in section and "at most 10.0%" in section
    assert "share of respondents who voice it" in section and "respondent_share" not in section
    assert "0.331" not in section and "Attainment" not in section and "1,015,700" in section
    story = re.search(r'<div id="verdicts".*?</div></div>', page, re.S).group(0)
    assert "<b>0 pass</b> · <b>1 at risk</b> · <b>2 fail</b>" in story and "1 pass (1 not sure)" in story
    assert "roll-out behind" in story
    # The launch date is a marker on the trend chart.
    assert "Battery saver launch" in re.search(r'<section id="trends".*?</section>', page, re.S).group(0)
    unowned = re.search(r'<table id="unowned".*?</table>', page).group(0)
    assert "+50%" in unowned and "2,500" in unowned and '<a href="#need-1">battery life</a>' in unowned


def test_page_is_self_contained():
    page = render_html(_report(), coords={"i0": (0.0, 0.0), "i1": (1.0, 1.0)},
                       personas=fiq.PersonaSet(mode="segment", personas=[]), translations=[])
    parsed = Page(page)
    assert not parsed.find("link") and not parsed.find("iframe") and not parsed.find("img")
    assert all("src" not in attrs for _, attrs in parsed.elements)
    for _, attrs in parsed.elements:
        for key in ("href", "src", "action", "xlink:href"):
            assert not re.match(r"\s*(https?:)?//", attrs.get(key, "")), attrs
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|import\(|eval)\b", "".join(parsed.scripts))
    # The policy forbids every fetch and runs the report's script only, by its hash.
    csp = parsed.find("meta", **{"http-equiv": "Content-Security-Policy"})[0]["content"]
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp


def test_write_html_report_takes_the_report_first_and_the_old_order_still_works(tmp_path):
    new = write_html_report(_report(), tmp_path / "a.html")
    with pytest.warns(DeprecationWarning, match="report first"):
        old = write_html_report(tmp_path / "b.html", _report())
    strip = lambda p: re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", p.read_text(encoding="utf-8"))   # noqa: E731  (its time)
    assert old == tmp_path / "b.html" and strip(old) == strip(new)


def test_chinese_is_written_as_utf8_with_a_chinese_font(tmp_path):
    path = write_html_report(_report(), tmp_path / "out" / "report.html")
    raw = path.read_bytes()
    assert raw.startswith(b"<!DOCTYPE html>") and b'<meta charset="utf-8">' in raw[:200]
    page = raw.decode("utf-8")
    assert '<p lang="zh-CN">客服回复太慢了</p>' in page
    assert "WenQuanYi" in page and "Microsoft YaHei" in page and "PingFang SC" in page


def test_theme_growth_is_share_of_recent_months_vs_the_months_before():
    report = _report()
    a, b = report.themes[:2]
    a.by_period, b.by_period = dict(zip(MONTHS, [2, 1, 0, 1, 2, 2])), dict(zip(MONTHS, [1, 1, 1, 1, 1, 1]))
    report.themes, report.other = [a, b], None
    g = theme_growth(report)
    # Theme 0: 5 of the 8 items dated Apr-Jun vs 3 of the 6 dated Jan-Mar -> +25%.
    assert g[0].recent_share == pytest.approx(5 / 8) and g[0].previous_share == pytest.approx(3 / 6)
    assert g[0].change == pytest.approx(0.25)
    assert g[0].recent == ("2026-04", "2026-06") and g[0].previous == ("2026-01", "2026-03")
    report.themes[1].by_period = {"2026-05": 4, "2026-06": 2}  # absent before, 6 items now
    assert theme_growth(report)[1].change == math.inf


def test_heatmap_cells_are_shares_of_each_segment():
    page = render_html(_report())
    cells = re.findall(r'<td class="hm n" data-sort="(\d+)" style="[^"]*" title="([^"]*)"', page)
    # Pro: r1 r2 r4 r5 r7 r8 r10 r11 (survey), r12 and the 3 sales accounts = 12 respondents; Free: r0 r3 r6 r9.
    assert ("12", "12 of 12 respondents in Pro voice this need") in cells
    assert ("4", "4 of 4 respondents in Free voice this need") in cells
    assert len(cells) == 2 * 2   # needs x values: no praise row


def test_map_labels_each_need_and_samples_large_sets(monkeypatch):
    report = _report()
    coords = {it.id: (float(k), float(k % 3)) for k, it in enumerate(report.feedback.items)}
    page = render_html(report, coords=coords)
    svg = re.search(r'<svg id="item-map".*?</svg>', page).group(0)
    assert svg.count("<circle ") == len(report.feedback.items) and "客服回复太慢了" in svg
    assert re.findall(r'<text class="map-label"[^>]*><tspan[^>]*>● </tspan>([^<]*)</text>', svg) == ["slow support", "battery life"]
    import feedbackiq.report._map as map_module

    monkeypatch.setattr(map_module, "MAX_MAP_POINTS", 3)
    page = render_html(report, coords=coords)
    svg = re.search(r'<svg id="item-map".*?</svg>', page).group(0)
    assert svg.count("<circle ") == 3 and f"even sample of 3 of {len(report.feedback.items)} items" in page


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


def test_full_sample_report_speaks_needs(sample_report):
    from feedbackiq.report._html import esc

    fs, report = sample_report
    personas = fiq.draft_personas(report, by="company_size")
    page = render_html(report, personas=personas)
    for n in (*report.needs, *report.non_needs):
        assert f'id="need-{n.id}"' in page
    for t in report.themes:
        assert f'<article class="theme" id="theme-{t.id}">' in page
    assert page.count('<article class="persona">') == len(personas.personas)
    assert 'lang="zh-CN"' in page
    table = re.search(r'<table id="need-table".*?</table>', page).group(0)
    assert [int(n) for n in re.findall(r'data-need="(\d+)"', table)] == [n.id for n in report.needs]
    praise = {n.name for n in report.non_needs}
    top = re.search(r'<table id="top-needs".*?</table>', page).group(0)
    assert praise and not any(p in top or p in table for p in praise)
    largest = sorted(report.needs, key=lambda n: -n.respondents)[:5]
    assert [re.sub(r"<.*?>", "", x) for x in re.findall(r'<td class="need-name">(.*?)</td>', top)] == \
        [esc(n.name) for n in largest]


def test_report_without_its_items_still_renders():
    report = _report()
    report.feedback = None  # e.g. a ThemeReport saved without the feedback set
    report.needs[0].by_segment = {"plan": {"Pro": 12, "Free": 4}}
    page = render_html(report, coords={"i0": (0.0, 0.0)}, scorecard=_scores())
    assert "Dates</th><td>—" in page and page.count('<tbody class="need-group"') == 2
    assert 'id="page-filter"' not in page   # no items, nothing to filter
    # No segment sizes without the items: cells show and shade by respondent counts instead.
    assert re.findall(r'<td class="hm n" data-sort="(\d+)" style="[^"]*" title="(\d+) respondents"', page)


def test_report_made_before_needs_shows_each_theme_as_a_need():
    report = _report()
    report.needs, report.non_needs = [], []
    page = render_html(report)
    assert page.count('<tbody class="need-group"') == 3 and "slow support" in page


def test_summary_markdown_is_the_first_screen():
    md = summary_markdown(_report(name="slow | support"), _scores(), currency="USD", rates={"CNY": 0.14})
    assert md.startswith("## Summary")
    rows = [line for line in md.splitlines() if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert rows[0].startswith("| 1 | slow \\| support | 16 (36%) | 62% negative · NPS −31 |")
    assert "open USD 15k · lost USD 7k" in rows[0] and rows[1].startswith("| 2 | battery life | 8 (18%)")
    assert "20 items of praise and small talk set apart" in md and "Praise" not in "".join(rows)
    assert "**0 pass, 1 at risk, 2 fail**" in md and "Launch: **FAIL**" in md and "roll-out behind" in md


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
