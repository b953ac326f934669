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
from pathlib import Path

import pytest

from conftest import ROOT

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


@pytest.fixture(scope="module")
def sample_page(sample_report, tmp_path_factory):
    """The full report of the bundled samples on disk, with what the page must show."""
    import feedbackiq as fiq
    from feedbackiq.embed import default_embedder
    from feedbackiq.report import project_2d, write_html_report
    from feedbackiq.themes import embed_items

    fs, report = sample_report
    personas = fiq.draft_personas(report, by="company_size")
    translations = fiq.translate_features(fiq.load_features(ROOT / "datasets" / "features.yaml"), personas, report,
                                          use_llm=False)
    scores = fiq.score_cards(fiq.load_cards(ROOT / "datasets" / "cards.yaml"), report, personas=personas,
                             translations=translations)
    vectors = embed_items(fs.items, default_embedder(fs))  # cached on disk by the session's find_themes
    coords = {it.id: tuple(xy) for it, xy in zip(fs.items, project_2d(vectors))}
    # The rows exactly as `feedbackiq run` passes them.
    path = write_html_report(tmp_path_factory.mktemp("report") / "report.html", report, personas=personas,
                             translations=translations, scorecard=scores.to_pandas().to_dict("records"),
                             unowned=[u.model_dump(mode="json") for u in scores.unowned], coords=coords,
                             manifest={"feedbackiq": fiq.__version__, "parameters": report.parameters})
    return path, report, coords, scores


def _deal_order(report, descending: bool) -> list[str]:
    """Theme ids in the order a click on "Deal value" must give: missing values last, ties in table order."""
    known = [t for t in report.themes if t.deal_value is not None]
    ordered = sorted(known, key=lambda t: -t.deal_value if descending else t.deal_value)
    return [str(t.id) for t in ordered + [t for t in report.themes if t.deal_value is None]]


def test_sample_report_in_chromium(browser, sample_page, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    path, report, coords, scores = sample_page
    _open(browser, path)
    assert browser.title == "feedbackiq report"
    find = browser.find_elements

    rows = find(By.CSS_SELECTOR, "#theme-table tbody tr")
    assert len(rows) == len(report.themes) > 5
    assert len(find(By.CSS_SELECTOR, "#item-map circle")) == len(coords) == report.n_items
    first_column = next(col for t in report.themes for col in t.by_segment)
    values = {v for t in report.themes for v in t.by_segment.get(first_column, {})}
    visible_cells = [c for c in find(By.CSS_SELECTOR, ".heatmap td.hm") if c.is_displayed()]
    assert len(visible_cells) == len(report.themes) * min(len(values), 12)
    assert [e.text for e in find(By.CSS_SELECTOR, "#scorecard tbody .status")] == \
        [str(t.status) for t in scores.targets()] and len(scores.targets()) > 3
    assert len(find(By.CSS_SELECTOR, "#unowned tbody tr")) == len(scores.unowned) > 0
    assert len(find(By.CSS_SELECTOR, "#personas article.persona")) >= 2
    assert len(find(By.CSS_SELECTOR, "#features article.feature")) >= 2
    assert len(find(By.CSS_SELECTOR, "#trends svg.spark")) == len(report.themes)

    # Sorting: a click on "Deal value" orders rows by it, largest first (missing last); a second click reverses.
    header = browser.find_element(By.CSS_SELECTOR, "#theme-table th[data-key='deal'] button")
    before = [r.get_attribute("data-theme") for r in find(By.CSS_SELECTOR, "#theme-table tbody tr")]
    _click(browser, header)
    after = [r.get_attribute("data-theme") for r in find(By.CSS_SELECTOR, "#theme-table tbody tr")]
    assert after != before and after == _deal_order(report, descending=True)
    _click(browser, header)
    assert [r.get_attribute("data-theme") for r in find(By.CSS_SELECTOR, "#theme-table tbody tr")] == \
        _deal_order(report, descending=False)

    # Choosing another segment column shows its table instead.
    picker = Select(browser.find_element(By.ID, "heatmap-column"))
    other_column = picker.options[-1].get_attribute("value")
    picker.select_by_value(other_column)
    shown_tables = [d.get_attribute("data-column") for d in find(By.CSS_SELECTOR, ".heatmap") if d.is_displayed()]
    assert shown_tables == [other_column]
    # The legend highlights one theme on the map.
    _click(browser, browser.find_element(By.CSS_SELECTOR, ".legend-item[data-theme='0']"))
    lit = find(By.CSS_SELECTOR, "#item-map circle.on")
    assert len(lit) == sum(a.theme_id == 0 for a in report.assignments)

    shot = tmp_path / "report.png"
    browser.save_screenshot(str(shot))  # the map, with theme 0 highlighted
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")

    assert _console_errors(browser) == []
    assert set(_requests(browser)) == {path.as_uri()}, "the report must load nothing but itself"

    # A Chinese quote shows its characters, drawn with a font that has them (not as empty boxes).
    zh = {it.id for it in report.feedback.items if it.language == "zh"}
    quote = next(q for t in report.themes for q in t.quotes if q.item_id in zh)
    shown = [e for e in find(By.CSS_SELECTOR, "#quotes blockquote p[lang='zh-CN']") if e.text == quote.text.strip()]
    assert shown, f"Chinese quote {quote.text!r} not found on the page"
    browser.execute_cdp_cmd("DOM.enable", {})
    browser.execute_cdp_cmd("CSS.enable", {})  # after the console check: DevTools' own stylesheet read logs an error
    root = browser.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = browser.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": "#quotes blockquote p[lang='zh-CN']"})
    fonts = browser.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    assert any(any(f in font["familyName"] for f in CJK_FAMILIES) and font["glyphCount"] > 0 for font in fonts), \
        f"Chinese drawn with {fonts}: no Chinese font; install fonts-wqy-zenhei (make browser)"


def test_script_in_feedback_is_shown_as_text_not_run(browser, tmp_path):
    import feedbackiq as fiq
    from feedbackiq.report import write_html_report

    evil = '<script>window.__pwned = 1</script><img src="http://127.0.0.1:9/x.png" onerror="window.__pwned = 2">'
    items = [fiq.FeedbackItem(id=f"i{k}", text=f"{evil} answer {k}", source="survey", respondent_id=f"r{k}",
                              language="en") for k in range(3)]
    theme = fiq.Theme(id=0, name=evil, keywords=[evil], size=3, respondents=3, respondent_share=1.0,
                      quotes=[fiq.Quote(item_id="i0", text=items[0].text, source="survey", respondent_id="r0")],
                      by_segment={"plan": {evil: 3}})
    report = fiq.ThemeReport(themes=[theme], n_items=3, n_respondents=3,
                             assignments=[fiq.Assignment(item_id=i.id, theme_id=0, probability=1.0) for i in items],
                             feedback=fiq.FeedbackSet(items=items))
    path = write_html_report(tmp_path / "evil.html", report, coords={i.id: (k, k) for k, i in enumerate(items)},
                             scorecard=[{"card": evil, "status": "pass", "themes": [0]}])
    _open(browser, path)
    assert browser.execute_script("return window.__pwned === undefined")
    text = browser.find_element("css selector", "#quotes blockquote p").text
    assert text == items[0].text
    assert re.search(r"<script>window.__pwned = 1</script>", browser.find_element("css selector", "#scorecard").text)
    assert _console_errors(browser) == []
    assert set(_requests(browser)) == {path.as_uri()}, "a URL in feedback must never be fetched"
