"""What may leave the machine: no text of a theme below the privacy threshold, and no keyword that only
personal data (an email, a phone, a handle) put there, by any prompt (naming, personas, messages, cards)."""

import json

import pytest

from feedbackiq.llm import LLM, name_themes
from feedbackiq.testing import OpenAIServer, Reply
from feedbackiq.types import Assignment, Feature, FeedbackItem, FeedbackSet, MatchedNeed, Need, Quote, SourceKind, \
    Theme, ThemeReport

MARKERS = ("zebracorn", "quokkaflux")   # words only the small theme's members use

THEMES = {
    0: ["Battery dies by lunch every day", "The battery drains in two hours", "battery is dead before noon",
        "battery life awful on the road", "battery drains when the screen is off", "charge lasts half a shift"],
    1: ["Support never answers my tickets", "support is slow to reply", "no reply from support for a week",
        "support chat closes before anyone answers", "support team ignores emails", "waited days for support"],
    2: ["The zebracorn export wizard crashes, battery too", "quokkaflux sync with zebracorn fails support"],
}


def build_report(texts_by_theme=THEMES, sales_theme: int = 2, need_names=None) -> ThemeReport:
    """Two themes of six respondents (three per plan) and a small theme of two respondents (one per plan,
    one of them a sales note); every theme's keywords are what c-TF-IDF finds in its texts. The small
    theme is part of the first theme's need (a need of eight respondents); needs are named by a quote
    (their first text, or ``need_names``) as offline naming does."""
    from feedbackiq.themes._keywords import class_tfidf_keywords

    need_of_theme = {0: 0, 1: 1, 2: 0}
    items, assignments, themes = [], [], []
    for tid, texts in texts_by_theme.items():
        ids = []
        for j, text in enumerate(texts):
            iid, sales = f"t{tid}i{j}", tid == sales_theme and j == 0
            items.append(FeedbackItem(id=iid, text=text, source=SourceKind.SALES_NOTE if sales else SourceKind.REVIEW,
                                      respondent_id=f"r{tid}{j}", language="en",
                                      segments={"plan": "pro" if j % 2 == 0 else "free"},
                                      deal_value=1000.0 if sales else None, deal_stage="lost" if sales else None))
            assignments.append(Assignment(item_id=iid, theme_id=tid, probability=0.9, need_id=need_of_theme[tid]))
            ids.append(iid)
        themes.append(Theme(id=tid, name=f"theme {tid}", size=len(texts), respondents=len(texts), need_id=need_of_theme[tid],
                            quotes=[Quote(item_id=i, text=t, source=SourceKind.REVIEW) for i, t in zip(ids[:3], texts[:3])]))
    labels = [a.theme_id for a in assignments]
    keywords = class_tfidf_keywords([it.text for it in items], labels, top_n=10)
    for t in themes:
        t.keywords = keywords.get(t.id, [])
        t.name = " / ".join(t.keywords[:3]) or t.name
    need_keywords = class_tfidf_keywords([it.text for it in items], [a.need_id for a in assignments], top_n=10)
    needs = []
    for nid in sorted(set(need_of_theme[t.id] for t in themes)):
        mine = [t for t in themes if t.need_id == nid]
        needs.append(Need(id=nid, name=(need_names or {}).get(nid, texts_by_theme[mine[0].id][0]), label_source="quote",
                          theme_ids=[t.id for t in mine], keywords=need_keywords.get(nid, []), quotes=mine[0].quotes,
                          size=sum(t.size for t in mine), respondents=sum(t.respondents for t in mine)))
    report = ThemeReport(themes=themes, needs=needs, assignments=assignments, n_items=len(items),
                         n_respondents=len(items), feedback=FeedbackSet(items=items))
    return report


def group_into_needs(report: ThemeReport, groups: dict[int, list[int]]) -> None:
    """Needs of these themes (need id -> theme ids), described as ``find_themes`` would: sizes, the themes'
    keywords and quotes together."""
    themes = {t.id: t for t in report.themes}
    report.needs = [Need(id=nid, name=f"need {nid}", theme_ids=tids, size=sum(themes[t].size for t in tids),
                         respondents=sum(themes[t].respondents for t in tids),
                         keywords=[k for t in tids for k in themes[t].keywords],
                         quotes=[q for t in tids for q in themes[t].quotes]) for nid, tids in groups.items()]


def card_match(report: ThemeReport, nearest: list[int]):
    """A target matched by meaning to the first of ``nearest`` (need ids)."""
    from feedbackiq.cards._match import TargetMatch

    ranked = [MatchedNeed(need_id=i, name="x", similarity=0.5, theme_ids=report.need(i).theme_ids) for i in nearest]
    return TargetMatch("matched", "similarity", ranked[:1], nearest=ranked)


def llm_for(srv, tmp_path):
    return LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)


def sent(srv) -> str:
    return json.dumps(srv.chat_requests, ensure_ascii=False).lower()


def test_small_theme_texts_reach_no_prompt(tmp_path):
    from feedbackiq.cards._confirm import confirm_matches
    from feedbackiq.gtm import draft_persona_traits, draft_personas, translate_features
    from feedbackiq.types import CardTarget

    report = build_report(need_names={0: THEMES[2][0]})   # the need is named by the small theme's quote
    assert any(m in " ".join(report.themes[2].keywords) for m in MARKERS)   # the small theme's own words
    assert any(m in " ".join(report.needs[0].keywords) for m in MARKERS)    # ... also among its need's
    with OpenAIServer([Reply.json({})]) as srv:                           # every reply fails: only requests matter
        llm = llm_for(srv, tmp_path)
        name_themes(report, llm, min_respondents=3, level="both")   # needs and themes (contrast blocks)
        personas = draft_personas(report, by="plan", min_respondents=2)
        assert all(n.need_id == 0 for p in personas.personas for n in p.top_needs[:1])   # the small theme's need leads
        draft_persona_traits(personas, report, llm, min_respondents=3)
        feature = Feature(name="Offline export", description="Export that works offline", themes=[0, 2])
        translate_features([feature], personas, report, llm, min_respondents=3)
        target = CardTarget(need="battery export", metric="respondents", min=1)
        # the small theme is part of a need large enough to be sent: its quotes and words stay home
        group_into_needs(report, {0: [2, 0], 1: [1]})   # the small theme first: its words lead the lists
        assert any(m in " ".join(report.needs[0].keywords) for m in MARKERS)
        confirm_matches([target], [card_match(report, [0, 1])], report, llm, min_respondents=3)
        confirm_matches([target], [card_match(report, [0, 1])], report, llm, min_respondents=3, redact=False)
        body = sent(srv)
        prompts = {r["messages"][0]["content"][:40] for r in srv.chat_requests}
    assert len(prompts) >= 4, prompts      # naming, persona, feature message and card prompts were all sent
    for marker in MARKERS:
        assert marker not in body, marker
    for it in report.feedback.items:
        if it.id.startswith("t2"):
            assert it.text.lower()[:25] not in body


PII_THEME = [f"{text}, write to jane.doe@acmewidgets.io or call 415-555-2671 or ping @jdoe_ops"
             for text in ("Battery dies by lunch", "The battery drains in two hours", "battery dead before noon",
                          "battery life awful", "battery drains with the screen off", "charge lasts half a shift")]


def test_keywords_sent_to_the_llm_come_from_redacted_text(tmp_path):
    from feedbackiq.cards._confirm import confirm_matches
    from feedbackiq.gtm import draft_persona_traits, draft_personas, translate_features
    from feedbackiq.types import CardTarget

    report = build_report({0: PII_THEME, 1: THEMES[1]}, sales_theme=-1)
    pii_words = ("jane", "doe", "acmewidgets", "jdoe_ops")
    theme_words = " ".join(report.themes[0].keywords)
    assert any(w in theme_words for w in pii_words), theme_words   # the defect's precondition: PII in the keywords
    with OpenAIServer([Reply.json({})]) as srv:
        llm = llm_for(srv, tmp_path)
        name_themes(report, llm, level="both")
        personas = draft_personas(report, by="plan", min_respondents=2)
        draft_persona_traits(personas, report, llm)
        translate_features([Feature(name="Longer battery", description="Bigger cell", themes=[0])], personas, report, llm)
        group_into_needs(report, {0: [0], 1: [1]})
        confirm_matches([CardTarget(need="battery", metric="respondents", min=1)], [card_match(report, [0, 1])], report, llm)
        body = sent(srv)
        keyword_lines = [r["messages"][1]["content"].split("\n")[0] for r in srv.chat_requests
                         if r["messages"][1]["content"].startswith("Theme keywords")]
        card = next(r["messages"][1]["content"] for r in srv.chat_requests if "KPI card" in r["messages"][0]["content"])
    for value in ("jane", "doe@", "acmewidgets", "415", "2671", "jdoe_ops"):
        assert value not in body, value
    # keywords no personal data put there all go out: the other theme's line is whole
    assert "Theme keywords: " + ", ".join(report.themes[1].keywords[:10]) in keyword_lines
    needs = [json.loads(line) for line in card.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0].splitlines()]
    assert [n["need_id"] for n in needs] == [0, 1] and needs[1]["keywords"] == report.needs[1].keywords[:8]
    assert needs[0]["quotes"] and all("[EMAIL_" in q for q in needs[0]["quotes"])   # redacted, not dropped
