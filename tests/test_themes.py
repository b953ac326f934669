"""find_themes end to end: descriptions, breakdowns, assignments, round trips, CLI; planted themes recovered."""

import json
from collections import Counter

import numpy as np
import pytest
from helpers import truth_by_item
from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq._cli import app
from feedbackiq._tokenize import tokenize
from feedbackiq._voice import voice_of
from feedbackiq.themes import OTHER, report_to_markdown, write_theme_report
from feedbackiq.themes._describe import representative_quotes
from feedbackiq.themes._keywords import class_tfidf_keywords
from feedbackiq.types import FeedbackItem, FeedbackSet, SourceKind


def test_every_item_assigned_exactly_once(sample_report):
    fs, rep = sample_report
    assert rep.note is None   # themes found: nothing to explain
    assert [a.item_id for a in rep.assignments] == [i.id for i in fs.items]
    ids = {t.id for t in rep.themes} | ({OTHER} if rep.other else set())
    assert {a.theme_id for a in rep.assignments} == ids
    assert sum(t.size for t in rep.themes) + (rep.other.size if rep.other else 0) == len(fs.items)
    unassigned = sum(a.theme_id == OTHER for a in rep.assignments) / len(fs.items)
    assert unassigned < 0.05
    assert all(0.0 <= a.probability <= 1.0 for a in rep.assignments)


def test_breakdowns_match_independent_counts(sample_report):
    fs, rep = sample_report
    by_id = fs.by_id()
    total_voices = len({voice_of(i) for i in fs.items})
    for t in rep.themes[:5]:
        members = [by_id[a.item_id] for a in rep.assignments if a.theme_id == t.id]
        assert t.size == len(members)
        assert t.respondents == len({voice_of(m) for m in members})
        assert t.respondent_share == pytest.approx(t.respondents / total_voices)
        assert t.by_source == dict(Counter(m.source.value for m in members))
        plan = Counter()
        for v in {(voice_of(m), m.segments["plan"]) for m in members if "plan" in m.segments}:
            plan[v[1]] += 1
        assert t.by_segment.get("plan", {}) == dict(plan)
        deals = [m.deal_value for m in members if m.deal_value is not None]
        assert (t.deal_value or 0) == pytest.approx(sum(deals))
        stars = [m.rating for m in members if m.source == SourceKind.REVIEW and m.rating is not None]
        assert t.mean_rating == (pytest.approx(np.mean(stars)) if stars else None)
        assert sum(t.by_sentiment.values()) == t.size
        assert sum(t.by_period.values()) == sum(1 for m in members if m.created_at)
        assert 3 <= len(t.quotes) <= 5 and {q.item_id for q in t.quotes} <= {m.id for m in members}


def _truth_by_item(fs):
    return truth_by_item(fs, "theme")


PLANTED = ["battery", "camera", "dialect", "permissions", "supply_chain_visibility", "support", "onboarding", "pricing"]


def test_planted_themes_are_recovered(sample_report):
    """Each planted need is the majority of at least one theme, and themes are mostly pure."""
    fs, rep = sample_report
    truth = _truth_by_item(fs)
    by_theme = {}
    for a in rep.assignments:
        if truth.get(a.item_id) and a.theme_id != OTHER:
            by_theme.setdefault(a.theme_id, Counter())[truth[a.item_id]] += 1
    majority = {t: c.most_common(1)[0][0] for t, c in by_theme.items()}
    assert set(PLANTED) <= set(majority.values())
    pure = sum(c.most_common(1)[0][1] for c in by_theme.values()) / sum(sum(c.values()) for c in by_theme.values())
    assert pure > 0.85


def test_planted_needs_are_needs_and_praise_is_set_apart(sample_report):
    """The need level a PM sizes: 8-12 needs, each planted need mostly in one need, praise in none."""
    fs, rep = sample_report
    truth = _truth_by_item(fs)
    assert 8 <= len(rep.needs) <= 12, [n.name for n in rep.needs]
    placed = {}
    for a in rep.assignments:
        if truth.get(a.item_id):
            placed.setdefault(truth[a.item_id], Counter())[a.need_id] += 1
    for need in PLANTED:
        top, n = placed[need].most_common(1)[0]
        assert top is not None and n >= 0.8 * sum(placed[need].values()), (need, placed[need])
    real = {n.id for n in rep.needs}
    noise_in_needs = sum(c for g, c in placed["noise"].items() if g in real)
    assert noise_in_needs <= 0.1 * sum(placed["noise"].values()), placed["noise"]
    assert rep.non_needs and rep.non_needs[0].kind == "praise" and rep.non_needs[0].respondents > 100
    names = [n.name.casefold() for n in (*rep.needs, *rep.non_needs)]
    assert len(set(names)) == len(names)
    themes = {t.id for t in rep.themes}
    assert sorted(i for n in (*rep.needs, *rep.non_needs) for i in n.theme_ids) == sorted(themes)
    assert all(rep.need(t.need_id).theme_ids.count(t.id) == 1 for t in rep.themes)
    assert [n.respondents for n in rep.needs] == sorted((n.respondents for n in rep.needs), reverse=True)


def test_one_need_in_two_languages_is_one_theme(sample_report):
    """Reviews say battery, camera and support problems in English and Chinese: each need's largest
    theme holds both languages (the cross-language merge), not one theme per language."""
    fs, rep = sample_report
    truth = _truth_by_item(fs)
    language = {it.id: it.language for it in fs.items}
    need_counts, langs = {}, {}
    for a in rep.assignments:
        langs.setdefault(a.theme_id, Counter())[language[a.item_id]] += 1
        if truth.get(a.item_id) and a.theme_id != OTHER:
            need_counts.setdefault(truth[a.item_id], Counter())[a.theme_id] += 1
    for need in ("battery", "camera", "support"):
        theme = need_counts[need].most_common(1)[0][0]
        mix = langs[theme]
        assert min(mix["zh"], mix["en"]) >= 0.2 * (mix["zh"] + mix["en"]), (need, dict(mix))


def test_keywords_english_and_chinese():
    docs = ["battery drains fast", "the battery dies by noon", "battery life is short",
            "电池续航太差", "电池不耐用", "电池掉电快",
            "support is slow", "support never replies", "slow support team"]
    labels = [0, 0, 0, 1, 1, 1, 2, 2, 2]
    kw = class_tfidf_keywords(docs, labels)
    assert kw[0][0] == "battery" and kw[1][0] == "电池" and kw[2][0] == "support"
    assert "the" not in tokenize("the battery") and "了" not in tokenize("电池坏了")


def test_quotes_are_central_and_never_near_duplicates():
    rng = np.random.default_rng(0)
    base = rng.normal(size=16)
    X = np.vstack([base + rng.normal(0, 0.01, 16) for _ in range(6)] + [base + rng.normal(0, 0.5, 16) for _ in range(6)])
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    texts = ["Battery dies by lunch every day"] * 6 + [f"Battery complaint number {i} with details" for i in range(6)]
    c = X.mean(axis=0)
    picked = representative_quotes(texts, X, c / np.linalg.norm(c), k=5)
    chosen = [texts[i] for i in picked]
    assert len(set(chosen)) == len(chosen)
    assert all((X[picked] @ X[picked].T)[np.triu_indices(len(picked), 1)] < 0.9)


def test_json_round_trip_and_markdown(sample_report, tmp_path):
    _, rep = sample_report
    paths = write_theme_report(rep, tmp_path)
    back = fiq.ThemeReport.from_json(paths["json"])
    assert back == rep
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md.startswith("# Customer needs") and rep.needs[0].name in md and rep.themes[0].quotes[0].text.split()[0] in md
    assert "assignments" in paths and paths["assignments"].read_text(encoding="utf-8-sig").count("\n") == len(rep.assignments) + 1
    assert rep.model_ids["embedding"] and len(rep.input_hash) == 64
    # the first two needs, every non-need group, then "other"; their themes nested one level down
    assert report_to_markdown(rep, max_themes=2).count("\n### ") == 2 + len(rep.non_needs) + (1 if rep.other else 0)


def test_same_seed_same_report(sample_report):
    fs, rep = sample_report
    again = fiq.find_themes(fs, seed=0)
    assert [a.theme_id for a in again.assignments] == [a.theme_id for a in rep.assignments]


def _set(texts, lang="en"):
    return FeedbackSet(items=[FeedbackItem(id=f"i{i}", text=t, source=SourceKind.REVIEW, language=lang) for i, t in enumerate(texts)])


def test_edge_cases_give_clear_results():
    with pytest.raises(fiq.EmptyInputError):
        fiq.find_themes(FeedbackSet())
    one = fiq.find_themes(_set(["Battery dies"]))
    assert len(one.themes) == 1 and one.themes[0].size == 1
    same = fiq.find_themes(_set(["Battery dies"] * 40))
    assert len(same.themes) == 1 and same.themes[0].size == 40
    chars = fiq.find_themes(_set(list("abcdefghij") * 3))
    assert sum(t.size for t in chars.themes) + (chars.other.size if chars.other else 0) == 30
    zh = fiq.find_themes(_set(["电池续航太差了"] * 3 + ["客服回复太慢了"] * 3, lang="zh"))
    assert zh.model_ids["embedding"] == "use-multilingual-v3"


def _tagged_set(texts):
    from feedbackiq._lang import detect_language

    return FeedbackSet(items=[FeedbackItem(id=f"i{i}", text=t, source=SourceKind.REVIEW, language=detect_language(t))
                              for i, t in enumerate(texts)])


def _combine(subjects, endings):
    return [f"{s} {e}" for s in subjects for e in endings]


# Two needs in Russian, 20 distinct answers each: the battery dies fast / the delivery is late.
RU_BATTERY = _combine(["Батарея", "Моя батарея", "Батарея телефона", "Батарея планшета"],
                      ["садится за пару часов", "разряжается очень быстро", "не держит заряд весь день",
                       "тает на глазах после обновления", "быстро кончается даже без игр"])
RU_DELIVERY = _combine(["Доставка", "Моя посылка", "Доставка заказа", "Посылка с курьером"],
                       ["опоздала на три дня", "пришла на неделю позже обещанного", "задерживается уже который раз",
                        "приехала с большим опозданием", "снова не пришла вовремя"])


def test_russian_feedback_gets_multilingual_themes_and_keywords():
    """Neither English nor Chinese: it crashed in the cross-language merge with two themes; now it is
    embedded by the multilingual model, the two needs come out apart and keywords are Russian words."""
    rep = fiq.find_themes(_tagged_set(RU_BATTERY + RU_DELIVERY))
    assert rep.model_ids["embedding"] == "use-multilingual-v3"
    need = {f"i{i}": ("battery" if i < len(RU_BATTERY) else "delivery") for i in range(40)}
    members = {t.id: Counter() for t in rep.themes}
    for a in rep.assignments:
        if a.theme_id != OTHER:
            members[a.theme_id][need[a.item_id]] += 1
    majority = {c.most_common(1)[0][0] for c in members.values()}
    assert majority == {"battery", "delivery"}
    assert sum(c.most_common(1)[0][1] for c in members.values()) >= 0.9 * 40   # purity
    words = {w for t in rep.themes for w in t.keywords}
    assert {"батарея", "доставка"} & words and all(len(w) > 1 for w in words)


@pytest.mark.parametrize("kind", ["numbers", "emoji"])
def test_answers_without_words_are_themed_without_crashing(kind):
    texts = [f"{n}/10" for n in range(1, 11)] * 2 + [str(1000 + 37 * n) for n in range(20)]
    if kind == "emoji":
        texts = [("👍 " if n % 2 else "😡 ") + t for n, t in enumerate(texts)]
    rep = fiq.find_themes(_tagged_set(texts))
    assert rep.model_ids["embedding"] == "all-MiniLM-L6-v2"
    assert sorted(a.item_id for a in rep.assignments) == sorted(f"i{i}" for i in range(40))
    assert sum(t.size for t in rep.themes) + (rep.other.size if rep.other else 0) == 40


def test_keywords_keep_accented_and_other_script_words_whole():
    docs = ["La aplicación se cierra", "La aplicación no abre", "Mi aplicación falla siempre",
            "Die Übersetzung ist falsch", "Übersetzung fehlt komplett", "Schlechte Übersetzung im Gerät",
            "Батарея садится быстро", "Батарея не держит заряд", "Новая батарея тоже садится"]
    kw = class_tfidf_keywords(docs, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    assert kw[0][0] == "aplicación" and kw[1][0] == "übersetzung" and kw[2][0] == "батарея"
    every = {w for words in kw.values() for w in words for w in w.split()}
    assert not every & {"aplicaci", "bersetzung", "ger", "te", "la", "die", "не"}
    assert "la" in tokenize("Shipping to LA took a week") and "eu" in tokenize("Can I exchange to EU?")
    assert tokenize("Gera\u0308t kaputt") == tokenize("Gerät kaputt")   # decomposed accent


UNRELATED = ["The battery dies before lunch", "Please add a dark mode", "Shipping to Canada is too expensive",
             "Support never replied to my email", "The camera is blurry at night", "I love the new widget",
             "Login with Google fails on Android", "Export to Excel loses Chinese characters",
             "Invoices are missing the VAT number", "The map shows the wrong city", "Notifications arrive twice",
             "Search ignores accented letters"]


class _Orthogonal(fiq.embed.Embedder):
    """Every text its own direction: nothing is similar to anything, so no group can form on any machine."""

    model_id, dim = "one-hot", len(UNRELATED)

    def embed_batch(self, texts):
        return np.eye(self.dim, dtype=np.float32)[[UNRELATED.index(t) for t in texts]]


def _unrelated_themes(fs, **kw):
    from feedbackiq.themes._api import find_themes

    return find_themes(fs, embedder=_Orthogonal(), clusterer=fiq.ThemeClusterer(reduction=None))


def test_small_unrelated_input_says_why_there_are_no_themes(tmp_path, monkeypatch):
    """12 unrelated items: no theme, and the report, themes.md, the console, personas and the HTML
    report say why instead of an empty result."""
    from feedbackiq.gtm import draft_personas, personas_to_markdown
    from feedbackiq.gtm._markdown import NO_NEEDS
    from feedbackiq.report import render_html

    fs = _set(UNRELATED)
    rep = _unrelated_themes(fs)
    assert rep.themes == [] and rep.other.size == 12
    assert rep.note and "12" in rep.note and "at least 5" in rep.note
    assert fiq.ThemeReport.from_json(rep.to_json()).note == rep.note
    assert rep.note in report_to_markdown(rep)
    assert rep.note.split(";")[0] in render_html(rep)
    for i, it in enumerate(fs.items):
        it.segments = {"plan": "pro" if i % 2 else "free"}
    personas = draft_personas(rep, by="plan", min_respondents=1)
    assert personas.personas and personas_to_markdown(personas).count(NO_NEEDS) == len(personas.personas)

    monkeypatch.setattr("feedbackiq.themes.find_themes", _unrelated_themes)
    path = tmp_path / "in.csv"
    path.write_text("id,comment\n" + "".join(f"{i},{t}\n" for i, t in enumerate(UNRELATED)), encoding="utf-8")
    res = CliRunner().invoke(app, ["themes", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "No themes: no group of at least 5 similar items among the 12" in " ".join(res.output.split())
    assert "No themes:" in (tmp_path / "out" / "themes.md").read_text(encoding="utf-8")


def test_cli_themes(tmp_path, samples):
    res = CliRunner().invoke(app, ["themes", str(samples / "app_reviews.csv"), "--out", str(tmp_path), "--show", "5"])
    assert res.exit_code == 0, res.output
    for name in ("themes.json", "themes.md", "themes.csv", "assignments.csv", "items.csv", "ledger.csv"):
        assert (tmp_path / name).exists(), name
    assert "needs in" in res.output and "(not a need)" in res.output


def test_report_beside_feedback_json_is_written_once_and_read_back_whole(sample_report, tmp_path):
    from feedbackiq.ingest import write_feedback

    fs, rep = sample_report
    write_feedback(fs, tmp_path)
    paths = write_theme_report(rep, tmp_path, with_feedback=False)
    assert "feedback" not in json.loads(paths["json"].read_text(encoding="utf-8"))
    assert fiq.ThemeReport.from_json(paths["json"]) == rep        # items attached from feedback.json
    # A feedback.json of other items is not attached to these themes.
    write_feedback(fiq.FeedbackSet(items=fs.items[:5]), tmp_path)
    assert fiq.ThemeReport.from_json(paths["json"]).feedback is None


def test_importing_themes_loads_no_table_library():
    """``import feedbackiq.themes`` (as every command does) loads neither pyarrow nor pandas: they come on use."""
    import subprocess
    import sys

    code = "import sys, feedbackiq.themes; print(sorted(m for m in ('pyarrow', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_assignment_texts_right_whether_or_not_assignments_follow_the_items(tmp_path):
    import pandas as pd

    from feedbackiq.types import Assignment, ThemeReport

    items = [FeedbackItem(id=f"i{k}", text=f"text {k}", source=SourceKind.REVIEW) for k in range(3)]
    rows = [Assignment(item_id=f"i{k}", theme_id=0, probability=0.5) for k in range(3)]
    for assignments, in_order in ((rows, True), (rows[::-1], False)):
        report = ThemeReport(assignments=assignments, feedback=FeedbackSet(items=items))
        assert report.assignments_in_item_order() is in_order
        df = pd.read_csv(write_theme_report(report, tmp_path)["assignments"], encoding="utf-8-sig")
        assert dict(zip(df["item_id"], df["text"])) == {it.id: it.text for it in items}
    assert ThemeReport(assignments=rows).assignments_in_item_order() is False


@pytest.mark.parametrize("clusterer_state, seed, used", [(None, None, 0), (None, 5, 5), (7, None, 7), (7, 3, 3)])
def test_one_random_state_seeds_clustering_subthemes_and_needs(monkeypatch, clusterer_state, seed, used):
    """A given ``seed`` seeds everything; left out, the clusterer's ``random_state`` does (else 0)."""
    from feedbackiq.themes import _api

    seen = {}
    split = _api.split_subthemes

    def spy_split(*args):
        seen["subthemes"] = args[3]
        return split(*args)

    class SpyGrouper(_api.NeedGrouper):
        def fit(self, *args, **kw):
            seen["needs"] = self.random_state
            return super().fit(*args, **kw)

    monkeypatch.setattr(_api, "split_subthemes", spy_split)
    monkeypatch.setattr(_api, "NeedGrouper", SpyGrouper)
    given = None if clusterer_state is None else fiq.ThemeClusterer(reduction=None, random_state=clusterer_state)
    kw = {} if seed is None else {"seed": seed}
    rep = _api.find_themes(_set(UNRELATED), embedder=_Orthogonal(), clusterer=given, **kw)
    assert seen == {"subthemes": used, "needs": used} and rep.parameters["random_state"] == used
    assert given is None or given.random_state == clusterer_state   # the caller's clusterer is not modified
