"""The HTML report of the bundled samples, opened from disk in a real browser (Debian's chromium).

Skips when chromium, chromedriver or selenium are missing, unless FEEDBACKIQ_REQUIRE_BROWSER=1
(set by `make test` once set-up installed the browser, and by .ci/run): then it fails, so CI can
never go green without having looked at the page.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path

import pytest

from helpers import ROOT

# Screenshots of the sample report for a person to look at: in the test's tmp dir, and copied here.
SCREENSHOTS = ROOT / "runs" / "screenshots"
CHROMIUM = Path(os.environ.get("FEEDBACKIQ_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("FEEDBACKIQ_CHROMEDRIVER", "/usr/bin/chromedriver"))
REQUIRED = os.environ.get("FEEDBACKIQ_REQUIRE_BROWSER") == "1"
# Fonts with Chinese glyphs that the report's font stack names (fonts-wqy-zenhei is what `make browser` installs).
CJK_FAMILIES = ("WenQuanYi", "Noto Sans CJK", "Noto Sans SC", "Source Han", "PingFang", "Hiragino", "Microsoft YaHei")
def _missing() -> list[str]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    return missing


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        how = "install them with `make browser` (Debian: apt-get install chromium chromium-driver fonts-wqy-zenhei)"
        if REQUIRED:
            pytest.fail(f"FEEDBACKIQ_REQUIRE_BROWSER=1 but missing: {', '.join(missing)}; {how}")
        pytest.skip(f"no browser to test the HTML report in, missing: {', '.join(missing)}; {how}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="feedbackiq-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", f"--user-data-dir={profile}", "--window-size=1300,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(driver, path: Path) -> None:
    """Load the page with the logs of anything before it (the start page) drained."""
    driver.get("about:blank")
    driver.get_log("performance")
    driver.get_log("browser")
    driver.get(path.as_uri())


def _requests(driver) -> list[str]:
    """URLs of every request the browser made since the last call (CDP Network events)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def _click(driver, element) -> None:
    """Click like a person would: scrolled to the middle of the screen, clear of the sticky menu bar."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def _console_errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _viewport(driver, width: int, height: int) -> None:
    """An exact viewport (a phone below 600 px: touch, no scrollbars), whatever the window can be."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


@pytest.fixture(scope="module")
def sample_page(sample_report, tmp_path_factory):
    """The full report of the bundled samples on disk, with what the page must show."""
    import feedbackiq as fiq
    from feedbackiq.embed import default_embedder
    from feedbackiq.report import project_2d, write_html_report
    from feedbackiq.themes import embed_items

    fs, report = sample_report
    personas = fiq.draft_personas(report, by="company_size")
    translations = fiq.translate_features(fiq.load_features(ROOT / "datasets" / "features.yaml"), personas, report)
    scores = fiq.score_cards(fiq.load_cards(ROOT / "datasets" / "cards.yaml"), report, personas=personas,
                             translations=translations)
    vectors = embed_items(fs.items, default_embedder(fs))  # cached on disk by the session's find_themes
    coords = {it.id: tuple(xy) for it, xy in zip(fs.items, project_2d(vectors))}
    # The arguments exactly as `feedbackiq run` passes them.
    path = write_html_report(report, tmp_path_factory.mktemp("report") / "report.html", personas=personas,
                             translations=translations, scorecard=scores, coords=coords,
                             manifest={"feedbackiq": fiq.__version__, "parameters": report.parameters})
    return path, report, coords, scores


def _groups(driver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [g.get_attribute("data-need") for g in driver.find_elements(By.CSS_SELECTOR, "#need-table tbody.need-group")]


def _sales_voices(report) -> dict[int, int]:
    """Distinct accounts per need among the sales notes, counted here from the items (not by the report code)."""
    need_of = {t: n.id for n in report.needs for t in n.theme_ids}
    source = {it.id: it for it in report.feedback.items}
    voices = defaultdict(set)
    for a in report.assignments:
        it = source[a.item_id]
        if it.source.value == "sales_note" and a.theme_id in need_of:
            voices[need_of[a.theme_id]].add(it.respondent_id or it.id)
    return {n: len(v) for n, v in voices.items()}


def test_sample_report_in_chromium(browser, sample_page):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    path, report, coords, scores = sample_page
    _open(browser, path)
    _viewport(browser, 1300, 1000)
    assert browser.title == "feedbackiq report"
    find = browser.find_elements

    assert _groups(browser) == [str(n.id) for n in report.needs] and len(report.needs) > 5
    praise = [n.name for n in report.non_needs]
    assert praise and not any(p in browser.find_element(By.ID, "need-table").text for p in praise)
    assert len(find(By.CSS_SELECTOR, "#item-map circle")) == len(coords) == report.n_items
    first_column = next(col for n in report.needs for col in n.by_segment)
    values = {v for n in report.needs for v in n.by_segment.get(first_column, {})}
    visible_cells = [c for c in find(By.CSS_SELECTOR, ".heatmap td.hm") if c.is_displayed()]
    assert len(visible_cells) == len(report.needs) * min(len(values), 12)
    assert [a.get_attribute("data-status") for a in find(By.CSS_SELECTOR, "#scorecard article.card-result")] == \
        [c.status for c in scores.cards]
    assert [r.get_attribute("data-status") for r in find(By.CSS_SELECTOR, "#scorecard tr.card-row")] == \
        [t.status for t in scores.targets()] and len(scores.targets()) > 3
    assert len(find(By.CSS_SELECTOR, "#unowned tbody tr")) == len(scores.unowned) > 0
    assert len(find(By.CSS_SELECTOR, "#personas article.persona")) >= 2
    assert len(find(By.CSS_SELECTOR, "#features article.feature")) >= 2
    # One trend chart, the largest needs on one scale, the launch on the cards marked on it.
    assert len(find(By.CSS_SELECTOR, "#trends svg.trend-chart polyline")) == min(6, len(report.needs))
    assert any("launch" in m.text for m in find(By.CSS_SELECTOR, "#trends g.marker-launch text"))
    assert len(find(By.CSS_SELECTOR, "#impact svg circle")) == len(report.needs)

    # Sorting: a click on "Items" orders the needs by it, largest first; a second click reverses.
    header = browser.find_element(By.CSS_SELECTOR, "#need-table th[data-key='items'] button")
    by_items = [str(n.id) for n in sorted(report.needs, key=lambda n: -n.size)]
    _click(browser, header)
    assert _groups(browser) == by_items
    _click(browser, header)
    assert _groups(browser) == [str(n.id) for n in sorted(report.needs, key=lambda n: n.size)]
    # A need's themes open under it.
    need = max(report.needs, key=lambda n: len(n.theme_ids))
    button = browser.find_element(By.CSS_SELECTOR, f"#need-table tbody[data-need='{need.id}'] button.expand")
    _click(browser, button)
    shown = [r for r in find(By.CSS_SELECTOR, f"#need-table tbody[data-need='{need.id}'] tr.theme-row") if r.is_displayed()]
    assert len(shown) == len(need.theme_ids) > 1

    # Choosing another segment column shows its table instead.
    picker = Select(browser.find_element(By.ID, "heatmap-column"))
    other_column = picker.options[-1].get_attribute("value")
    picker.select_by_value(other_column)
    shown_tables = [d.get_attribute("data-column") for d in find(By.CSS_SELECTOR, ".heatmap") if d.is_displayed()]
    assert shown_tables == [other_column]
    # The legend highlights one need on the map: all the dots of its themes.
    top = report.needs[0]
    _click(browser, browser.find_element(By.CSS_SELECTOR, f".legend-item[data-need='{top.id}']"))
    lit = find(By.CSS_SELECTOR, "#item-map circle.on")
    assert len(lit) == sum(a.theme_id in top.theme_ids for a in report.assignments)

    # The filter applies to the whole page: "Sales notes" ranks the needs by the accounts that raise them.
    page_filter = Select(browser.find_element(By.ID, "page-filter"))
    page_filter.select_by_visible_text("Sales notes")
    sales = _sales_voices(report)
    best = max(sales.values())
    first = browser.find_element(By.CSS_SELECTOR, "#top-needs tr.top-need")
    assert first.find_element(By.CSS_SELECTOR, "td.n b").text == str(best)
    assert sales[int(first.find_element(By.CSS_SELECTOR, "a").get_attribute("href").split("#need-")[1])] == best
    _click(browser, browser.find_element(By.ID, "quotes-open"))
    sources = {q.find_element(By.CSS_SELECTOR, "footer .src").text
               for q in find(By.CSS_SELECTOR, "#quotes blockquote.quote") if q.is_displayed()}
    assert sources == {"sales"}
    assert browser.find_element(By.CSS_SELECTOR, "#scorecard .unfiltered").is_displayed()
    page_filter.select_by_visible_text("All feedback")
    assert first.find_element(By.CSS_SELECTOR, "td.n b").text != str(best) or max(n.respondents for n in report.needs) == best
    # The quote search opens every need with a match and hides the rest.
    search = browser.find_element(By.ID, "quote-search")
    _click(browser, browser.find_element(By.ID, "quotes-close"))
    zh = {it.id for it in report.feedback.items if it.language == "zh"}
    query = next(q for n in report.needs for q in n.quotes if q.item_id in zh).text[:3]
    # (chromedriver types no Chinese: the value is set as an input method would, then the input event fires)
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                           search, query)
    visible = [q for q in find(By.CSS_SELECTOR, "#quotes blockquote.quote") if q.is_displayed()]
    assert visible and all(query in q.text for q in visible)
    assert browser.find_element(By.ID, "quote-count").text == f"{len(visible)} quote{'s' if len(visible) > 1 else ''} match" \
        + ("" if len(visible) > 1 else "es")
    browser.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'))", search)
    # A link to a theme inside a closed need opens it.
    theme = report.needs[2].theme_ids[-1]
    _click(browser, browser.find_element(By.ID, "quotes-close"))
    browser.execute_script(f"location.hash = 'theme-{theme}'")
    assert browser.find_element(By.ID, f"theme-{theme}").is_displayed()

    assert _console_errors(browser) == []
    assert set(_requests(browser)) == {path.as_uri()}, "the report must load nothing but itself"

    # A Chinese quote shows its characters, drawn with a font that has them (not as empty boxes).
    _click(browser, browser.find_element(By.ID, "quotes-open"))
    quote = next(q for n in report.needs for q in n.quotes if q.item_id in zh)
    shown = [e for e in find(By.CSS_SELECTOR, "#quotes blockquote p[lang='zh-CN']") if e.text == quote.text.strip()]
    assert shown, f"Chinese quote {quote.text!r} not found on the page"
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})  # after the console check: DevTools' own stylesheet read logs an error
    root = browser.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": "#quotes blockquote p[lang='zh-CN']"})
    fonts = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    assert any(any(f in font["familyName"] for f in CJK_FAMILIES) and font["glyphCount"] > 0 for font in fonts), \
        f"Chinese drawn with {fonts}: no Chinese font; install fonts-wqy-zenhei (make browser)"


_FIRST_SCREEN = """
const fold = window.innerHeight, width = window.innerWidth;
const inside = el => { const r = el.getBoundingClientRect();
  return r.width > 0 && r.top >= 0 && r.bottom <= fold && r.left >= 0 && r.right <= width; };
return {
  needs: Array.from(document.querySelectorAll('#top-needs tr.top-need')).filter(inside)
           .map(tr => tr.querySelector('td.need-name').textContent),
  verdicts: Array.from(document.querySelectorAll('#verdicts .verdict')).filter(inside)
           .map(a => a.querySelector('.status').textContent),
  count: inside(document.querySelector('#verdicts .verdict-count')) ? document.querySelector('#verdicts .verdict-count').textContent : null,
};
"""

_PHONE_LAYOUT = """
const width = window.innerWidth;
const wide = Array.from(document.querySelectorAll('table, svg.chart, svg.map')).filter(t => {
  if (!t.getClientRects().length) return false;
  const box = t.closest('.scroll, .chart-box');
  return t.getBoundingClientRect().width > width + 1 && !(box && box.getBoundingClientRect().width <= width + 1);
});
return {page: document.documentElement.scrollWidth, wide: wide.map(t => t.id || t.className.baseVal || t.className)};
"""


def _shoot(driver, tmp_path: Path, name: str, element=None) -> Path:
    """The screen (no ``element``), or the whole of one element however tall (captured beyond the screen,
    with the page scrolled to the top so the sticky menu bar does not cover it)."""
    import base64

    shot = tmp_path / f"{name}.png"
    if element is None:
        driver.save_screenshot(str(shot))
    else:
        driver.execute_script("window.scrollTo(0, 0)")
        box = driver.execute_script("const r = arguments[0].getBoundingClientRect(); "
                                    "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height};", element)
        png = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                                "clip": {**box, "scale": 1}})["data"]
        shot.write_bytes(base64.b64decode(png))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000, name
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / shot.name)
    return shot


def test_first_screen_tells_the_story_at_1400_and_400_px(browser, sample_page, tmp_path):
    """Above the fold of a 1400 x 900 screen: the top needs and every KPI card's verdict. At 400 px the page
    does not scroll sideways (wide tables and charts scroll in their own box). Screenshots of both widths are
    written for a person to look at (the test's tmp dir, copied to runs/screenshots/)."""
    from selenium.webdriver.common.by import By

    path, report, _, scores = sample_page
    _open(browser, path)
    _viewport(browser, 1400, 900)
    browser.execute_script("window.scrollTo(0, 0)")
    seen = browser.execute_script(_FIRST_SCREEN)
    largest = sorted(report.needs, key=lambda n: -n.respondents)[:5]
    assert seen["needs"] == [n.name for n in largest]
    assert seen["verdicts"] == [{"pass": "PASS", "at_risk": "AT RISK", "fail": "FAIL"}[c.status] for c in scores.cards]
    counts = {k: sum(c.status == k for c in scores.cards) for k in ("pass", "at_risk", "fail")}
    assert seen["count"] == f"{counts['pass']} pass · {counts['at_risk']} at risk · {counts['fail']} fail"
    _shoot(browser, tmp_path, "report-1400-first-screen")
    for anchor in ("needs", "trends", "impact", "heatmap", "map", "scorecard", "quotes", "appendix"):
        _shoot(browser, tmp_path, f"report-1400-{anchor}", browser.find_element(By.ID, anchor))

    _viewport(browser, 400, 800)
    browser.execute_script("window.scrollTo(0, 0)")
    layout = browser.execute_script(_PHONE_LAYOUT)
    assert layout["page"] <= 401 and layout["wide"] == [], layout
    phone = browser.execute_script(_FIRST_SCREEN)
    assert phone["needs"][:1] == [largest[0].name], "a phone's first screen starts with the top need"
    _shoot(browser, tmp_path, "report-400-first-screen")
    for anchor in ("needs", "trends", "scorecard", "quotes"):
        _shoot(browser, tmp_path, f"report-400-{anchor}", browser.find_element(By.ID, anchor))
    print(f"screenshots: {tmp_path} (copied to {SCREENSHOTS})")
    assert _console_errors(browser) == []


def test_script_in_feedback_is_shown_as_text_not_run(browser, tmp_path):
    from datetime import date

    import feedbackiq as fiq
    from feedbackiq.report import write_html_report
    from feedbackiq.types import CardResult, CardScores

    evil = '<script>window.__pwned = 1</script><img src="http://127.0.0.1:9/x.png" onerror="window.__pwned = 2">'
    items = [fiq.FeedbackItem(id=f"i{k}", text=f"{evil} answer {k}", source="survey", respondent_id=f"r{k}",
                              language="en", segments={"plan": evil}) for k in range(12)]   # a filter option
    theme = fiq.Theme(id=0, name=evil, keywords=[evil], size=12, respondents=12, respondent_share=1.0, need_id=0,
                      quotes=[fiq.Quote(item_id="i0", text=items[0].text, source="survey", respondent_id="r0")],
                      by_segment={"plan": {evil: 12}})
    need = fiq.Need(id=0, name=evil, theme_ids=[0], size=12, respondents=12, quotes=theme.quotes)
    report = fiq.ThemeReport(themes=[theme], needs=[need], n_items=12, n_respondents=12,
                             assignments=[fiq.Assignment(item_id=i.id, theme_id=0, probability=1.0, need_id=0) for i in items],
                             feedback=fiq.FeedbackSet(items=items))
    scores = CardScores(as_of=date(2026, 1, 1), cards=[CardResult(name=evil, kind="demand_validation", status="pass")])
    path = write_html_report(report, tmp_path / "evil.html", coords={i.id: (k, k) for k, i in enumerate(items)},
                             scorecard=scores)
    _open(browser, path)
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "page-filter")).select_by_index(1)   # the segment value: text swapped in
    assert browser.execute_script("return window.__pwned === undefined")
    browser.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = browser.find_element("css selector", "#quotes blockquote p").text
    assert text == items[0].text
    assert re.search(r"<script>window.__pwned = 1</script>", browser.find_element("css selector", "#scorecard").text)
    assert _console_errors(browser) == []
    assert set(_requests(browser)) == {path.as_uri()}, "a URL in feedback must never be fetched"
