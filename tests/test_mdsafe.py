"""Markdown outputs hold input and model text as text: rendered with HTML enabled, nothing from a segment
value, column header, file name, quote, feature, card or LLM reply becomes an element or a link."""

import json

import pytest
from markdown_it import MarkdownIt

import feedbackiq as fiq
from feedbackiq._mdsafe import md_code, md_escape
from feedbackiq.pipeline import load_config
from feedbackiq.testing import OpenAIServer, Reply

HOSTILE = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '[click](javascript:alert(3))',
           '![x](https://evil.example/x.png)', '<https://evil.example>', 'a | b', '`code` <b>', '&lt;img src=x&gt;',
           'x\n\n<img src=y onerror=alert(4)>', '\\<img src=z>', '``<img src=w>``']


def render(markdown: str) -> str:
    """CommonMark with raw HTML enabled (as many viewers render it) plus GFM tables."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def assert_inert(html: str, where: str) -> None:
    for bad in ("<img", "<script", "<b>", "<b ", "<a ", "href="):   # elements and links, not their text
        assert bad not in html, (where, bad)


@pytest.mark.parametrize("value", HOSTILE)
def test_escaped_values_render_as_their_own_text(value):
    for markdown in (f"{md_escape(value)}", f"# {md_escape(value)}", f"| a |\n|---|\n| {md_escape(value)} |",
                     f"> {md_escape(value)} — item {md_code(value)}", f"- **{md_escape(value)}**: {md_escape(value)}"):
        assert_inert(render(markdown), markdown)
    assert "\n" not in md_escape(value) and "\n" not in md_code(value)


SEGMENT = "<img src=x onerror=alert('segment')>"
HEADER = "<script>alert('header')</script>plan"
FEATURE = "<img src=x onerror=alert('feature')> [sync](javascript:alert(1))"
CARD = "<script>alert('card')</script>"
LLM_NAME = "<img src=x onerror=alert('llm')> Longer battery"
MODEL = "<img src=x onerror=alert('model')>"


def _replies(body):
    """A need name full of HTML for every naming request; other drafts get {} (dropped as invalid)."""
    user = body["messages"][-1]["content"]
    if "<feedback_data>" not in user or "Naming" not in json.dumps(body.get("response_format") or {}) + user:
        return Reply.json({})
    first = json.loads(user.split("<feedback_data>\n")[1].split("\n")[0])
    return Reply.json({"name": LLM_NAME, "need_statement": "Customers need <script>alert('need')</script> [x](javascript:y)",
                       "refs": [first["ref"]], "quotes": [first["text"][:8]]})


def test_every_markdown_output_of_a_run_is_inert(tmp_path, monkeypatch):
    folder = tmp_path / "<img src=x onerror=alert('file')>"
    folder.mkdir()
    rows = [(f"battery dies after {h} hours <script>alert('quote')</script>" if i % 2 else f"the battery drains by {h} pm",
             SEGMENT if i % 3 else "pro") for i, h in enumerate(range(1, 21))]
    rows += [(f"support took {d} days to reply <img src=x onerror=alert('quote')>" if i % 2 else f"support never answers, day {d}",
              SEGMENT if i % 3 else "free") for i, d in enumerate(range(1, 21))]
    (folder / "in.csv").write_text(f'id,comment,"{HEADER}"\n' + "".join(f'{i},"{t}","{s}"\n' for i, (t, s) in enumerate(rows)),
                                   encoding="utf-8")
    features = tmp_path / "features.yaml"
    features.write_text(json.dumps({"features": [{"name": FEATURE, "description": "Battery <b>saver</b> mode"}]}),
                        encoding="utf-8")
    cards = tmp_path / "cards.yaml"
    cards.write_text(json.dumps({"as_of": "2026-11-20", "cards": [{"kind": "demand_validation", "name": CARD,
                                 "owner": "<img src=x onerror=alert('owner')>", "targets": [
                                     {"name": "<script>alert('target')</script>", "need": "the battery dies too fast",
                                      "metric": "respondent_share", "min": 0.05}]}]}), encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    with OpenAIServer(_replies) as srv:
        cfg = load_config(None).with_overrides({"llm": {"model": MODEL, "base_url": srv.base_url},
                                                "ingest": {"columns": {"text": "comment", "segments": [HEADER]}},
                                                "output": {"title": "<script>alert('title')</script>"},
                                                "personas": {"by": HEADER}})
        result = fiq.run([folder], tmp_path / "run", config=cfg, features=features, cards=cards)
    assert any(n.label_source == "llm" for n in result.report.needs)   # the LLM's HTML names are in the outputs
    outputs = sorted((tmp_path / "run").rglob("*.md"))
    names = {p.name for p in outputs}
    assert {"themes.md", "report.md", "personas.md", "translations.md", "scorecard.md"} <= names
    for path in outputs:
        html = render(path.read_text(encoding="utf-8"))
        assert_inert(html, path.name)
        assert "&lt;img" in html or "&lt;script" in html, path.name   # the hostile values are there, as text
    report = render((tmp_path / "run" / "report.md").read_text(encoding="utf-8"))
    for value in ("alert('file')", "alert('header')", "alert('segment')", "alert('quote')", "alert('feature')",
                  "alert('card')", "alert('llm')", "alert('model')", "alert('title')"):
        assert value.replace("'", "&#x27;") in report or value in report, value
