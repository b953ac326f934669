"""Needs named by an LLM and its regrouping proposal, with the scripted server: one call per need with checked
citations, praise never sent, nothing of a theme below the privacy threshold in any request, a reply that is not
a partition rejected, a change the embeddings do not support not kept (and logged), one they support applied."""

import json

import numpy as np
import pytest

import feedbackiq as fiq
from feedbackiq.embed import Embedder
from feedbackiq.llm import LLM, name_themes, propose_regrouping
from feedbackiq.testing import OpenAIServer, Reply
from feedbackiq.themes._keywords import class_tfidf_keywords
from feedbackiq.themes._rebuild import rebuild_needs, report_vectors
from feedbackiq.types import Assignment, FeedbackItem, FeedbackSet, Quote, SourceKind, Theme, ThemeReport
from helpers import majority_truth_by_need

# Themes of a hand-made report: (need direction, how far the phrasing is from the need's direction, text).
# The two battery phrasings are near each other; pricing's and support's are further apart, so a battery
# phrasing split off as a need of its own is nearer the other than any theme is to its own need's others.
DIM = 24
SPEC = {
    "b0": (0, 0.4, "the battery drains in two hours {i}"),
    "b1": (0, 0.4, "phone dies before lunch every day {i}"),
    "p0": (1, 1.0, "the plan is too expensive for a small team {i}"),
    "p1": (1, 1.0, "we cannot afford the per-seat price {i}"),
    "zz": (1, 1.0, "zebracorn quokkaflux licence fee {i}"),       # two respondents: below the threshold
    "s0": (2, 1.0, "support takes days to answer tickets {i}"),
    "s1": (2, 1.0, "nobody replies to our support emails {i}"),
    "g0": (3, 1.0, "great app, love it {i}"),
    "g1": (3, 1.0, "thanks, keep up the good work {i}"),
}
MARKERS = ("zebracorn", "quokkaflux")
NEED_OF = {"b0": 0, "b1": 0, "p0": 1, "p1": 1, "zz": 1, "s0": 2, "s1": 2, "g0": 3, "g1": 3}


class _Vectors(Embedder):
    model_id, dim, batch_size = "synthetic-regroup", DIM, 1000

    def __init__(self, vectors):
        self.vectors = vectors

    def embed_batch(self, texts):
        return np.stack([self.vectors[t] for t in texts])


def _base_report(per_theme: int = 12, seed: int = 0):
    rng = np.random.default_rng(seed)
    items, assignments, themes, vectors = [], [], [], {}
    for theme_id, (key, (need, spread, template)) in enumerate(SPEC.items()):
        n = 2 if key == "zz" else per_theme
        ids = []
        for i in range(n):
            text = template.format(i=i)
            v = 2.0 * np.eye(DIM)[need] + spread * np.eye(DIM)[6 + theme_id] + rng.normal(0, 0.05, DIM)
            vectors[text] = (v / np.linalg.norm(v)).astype(np.float32)
            items.append(FeedbackItem(id=f"{key}-{i}", text=text, source=SourceKind.SURVEY, respondent_id=f"r-{key}-{i}",
                                      language="en", rating=5 if key.startswith("g") else None))
            assignments.append(Assignment(item_id=f"{key}-{i}", theme_id=theme_id, probability=0.9))
            ids.append(f"{key}-{i}")
        themes.append(Theme(id=theme_id, name=key, size=n, respondents=n,
                            quotes=[Quote(item_id=i, text=it.text, source=SourceKind.SURVEY)
                                    for i, it in zip(ids[:3], items[-n:][:3])]))
    keywords = class_tfidf_keywords([it.text for it in items], [a.theme_id for a in assignments], top_n=10)
    for t in themes:
        t.keywords = keywords.get(t.id, [])
    report = ThemeReport(themes=themes, assignments=assignments, n_items=len(items), n_respondents=len(items),
                         model_ids={"embedding": _Vectors.model_id}, parameters={"language": "en"},
                         feedback=FeedbackSet(items=items))
    return report, _Vectors(vectors)


def grouped(report, embedder, need_of: dict[str, int]):
    """``report`` with its needs built from ``need_of`` (theme key -> group)."""
    Xu, inverse = report_vectors(report, embedder=embedder)
    return rebuild_needs(report, np.array([need_of[k] for k in SPEC]), Xu, inverse)


@pytest.fixture(scope="module")
def synthetic():
    report, emb = _base_report()
    return grouped(report, emb, NEED_OF), emb


def tid(key: str) -> int:
    return list(SPEC).index(key)


def need_of_key(report, key: str) -> int:
    return report.theme(tid(key)).need_id


def llm_for(srv, tmp_path):
    return LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tmp_path, backoff=0.001, max_concurrency=1)


# -- the scripted server's side ----------------------------------------------------------------------------------
def schema_of(body) -> str:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name", "")


def blocks(content: str) -> list[list[dict]]:
    """The JSON records of every <feedback_data> block of a prompt."""
    return [[json.loads(line) for line in part.split("\n</feedback_data>")[0].splitlines() if line]
            for part in content.split("<feedback_data>\n")[1:]]


def naming(body, name=None):
    """A naming a model could give: named after the first evidence item in the report's language, a statement
    resting on it (cited by its handle, with a quote)."""
    records = blocks(body["messages"][1]["content"])[0]
    first = next((r for r in records if r["text"].isascii()), records[0])
    return Reply.json({"name": name or " ".join(first["text"].split()[:7]),
                       "need_statement": f"Customers need this fixed: {first['text']}",
                       "refs": [first["ref"]], "quotes": [" ".join(first["text"].split()[:3])]})


def keep_grouping(body):
    """A regrouping that changes nothing: the themes shown, grouped by their current need."""
    by_need: dict = {}
    for r in blocks(body["messages"][1]["content"])[0]:
        by_need.setdefault(r["need"], []).append(r["theme"])
    return Reply.json({"needs": [{"theme_ids": ids} for ids in by_need.values()]})


def script(regroup=keep_grouping, name=naming):
    def reply(body):
        kind = schema_of(body)
        if kind == "NeedRegrouping":
            return regroup(body)
        return name(body) if kind in ("NeedNaming", "ThemeNaming") else Reply.json({})
    return reply


def sent_strings(srv) -> str:
    return json.dumps(srv.chat_requests, ensure_ascii=False).lower()


# -- naming needs -------------------------------------------------------------------------------------------------
def test_each_need_is_named_once_with_checked_citations_and_praise_is_never_sent(synthetic, tmp_path):
    report, _ = synthetic
    support = need_of_key(report, "s0")
    wrong_once: set = set()

    def name(body):   # the support need is first given a battery name: sent back once, then named
        first = blocks(body["messages"][1]["content"])[0][0]
        if "support" in first["text"] and not wrong_once:
            wrong_once.add(1)
            return naming(body, name="The battery drains in two hours")
        return naming(body)

    with OpenAIServer(script(name=name)) as srv:
        out = name_themes(report, llm_for(srv, tmp_path))
        kinds = [schema_of(r) for r in srv.chat_requests]
        body = sent_strings(srv)
    real = [n for n in out.needs if n.kind == "need"]
    assert kinds == ["NeedNaming"] * (len(real) + 1)          # one call per need, one retry
    assert [n.kind for n in out.non_needs] == ["praise"] and out.non_needs[0].label_source != "llm"
    assert "great app" not in body and "keep up the good work" not in body   # praise is not a need: never sent
    need_of_item = {a.item_id: a.need_id for a in out.assignments}
    texts = {it.id: it.text for it in report.feedback.items}
    for n in real:
        assert n.label_source == "llm" and texts[n.need_citations[0].item_id].startswith(n.name)
        assert all(need_of_item[c.item_id] == n.id for c in n.need_citations)   # cited from its own items
    assert {n.moscow for n in real} <= {"must", "should", "could"} and len({n.moscow for n in real}) > 1
    assert out.need(support).need_citations[0].item_id.startswith("s")
    assert "support" in out.need(support).name
    assert all(t.label_source != "llm" for t in out.themes)   # themes are not named by default
    o = out.llm_outcome
    assert (o.step, o.calls, o.succeeded) == ("need names", len(real), len(real))
    assert report.needs[0].label_source != "llm"              # the input is not modified


def test_a_need_gets_evidence_from_several_themes_largest_first(synthetic, tmp_path):
    report, _ = synthetic
    with OpenAIServer(script()) as srv:
        name_themes(report, llm_for(srv, tmp_path))
        prompts = [r["messages"][1]["content"] for r in srv.chat_requests]
    pricing = next(p for p in prompts if "per-seat" in p)
    evidence = blocks(pricing)[0]
    theme_of_text = {SPEC[k][2].format(i=i): k for k in SPEC for i in range(12)}
    assert {theme_of_text[r["text"]] for r in evidence} == {"p0", "p1"}   # both sendable themes speak
    assert pricing.count("Its themes") == 1 and " / " in pricing.split("Its themes")[1].splitlines()[0]


def test_nothing_of_a_theme_below_the_threshold_is_sent_for_its_need(synthetic, tmp_path):
    report = synthetic[0].model_copy(deep=True)
    pricing = report.need(need_of_key(report, "p0"))
    assert tid("zz") in pricing.theme_ids
    # a need's keywords and quotes come from all its items: here the small theme's words and texts are among them
    pricing.keywords = [*MARKERS, *pricing.keywords]
    pricing.quotes = [*report.theme(tid("zz")).quotes, *pricing.quotes]
    with OpenAIServer(script()) as srv:
        out = name_themes(report, llm_for(srv, tmp_path), min_respondents=3)
        propose_regrouping(out, llm_for(srv, tmp_path), min_respondents=3)
        body = sent_strings(srv)
        assert "NeedRegrouping" in {schema_of(r) for r in srv.chat_requests}
    for marker in MARKERS:
        assert marker not in body, marker
    assert out.need(pricing.id).label_source == "llm"           # the need is named from its other themes


def test_a_need_below_the_threshold_is_not_sent(synthetic, tmp_path):
    report, _ = synthetic
    with OpenAIServer(script()) as srv:
        out = name_themes(report, llm_for(srv, tmp_path), min_respondents=100)
        assert srv.chat_requests == []
    assert all("privacy threshold" in n.label_note for n in out.needs)
    assert out.llm_outcome.withheld == len(out.needs) and out.llm_outcome.calls == 0


def test_both_levels_name_needs_and_themes(synthetic, tmp_path):
    report, _ = synthetic
    with OpenAIServer(script()) as srv:
        out = name_themes(report, llm_for(srv, tmp_path), level="both")
        kinds = [schema_of(r) for r in srv.chat_requests]
    praise = {n.id for n in report.non_needs}
    sendable_themes = [t for t in report.themes if t.respondents >= 3 and t.need_id not in praise]   # praise is no need
    assert kinds.count("NeedNaming") == len(report.needs) and kinds.count("ThemeNaming") == len(sendable_themes)
    assert all(t.label_source == "llm" for t in sendable_themes for t in [out.theme(t.id)])
    assert all(out.theme(t.id).label_source != "llm" for t in report.themes if t.need_id in praise)
    assert out.llm_stats["by_level"]["themes"]["below_privacy_threshold"] == 1
    with pytest.raises(fiq.ConfigError, match="level"):
        name_themes(report, llm_for(srv, tmp_path), level="topics")


def test_a_team_name_and_a_repeated_name_are_kept(synthetic, tmp_path):
    report = synthetic[0].model_copy(deep=True)
    team = report.need(need_of_key(report, "s0"))
    team.name, team.label_source = "Support speed", "override"
    with OpenAIServer(script(name=lambda body: naming(body, name="Same name"))) as srv:
        out = name_themes(report, llm_for(srv, tmp_path))
    names = [n.name for n in (*out.needs, *out.non_needs)]
    assert len(set(names)) == len(names)                     # names of a report never repeat
    assert out.need(team.id).name == "Support speed" and out.need(team.id).need_statement   # statement still written
    assert sum(n.name == "Same name" for n in out.needs) == 1
    assert out.llm_stats["names_kept"] == len(out.needs) - 2         # the team's name is no fallback
    assert out.llm_outcome.fallbacks == {"same name as another need": len(out.needs) - 2}


# -- regrouping ---------------------------------------------------------------------------------------------------
def partition(report) -> set:
    return {frozenset(n.theme_ids) for n in (*report.needs, *report.non_needs)}


def test_a_reply_that_is_not_a_partition_is_sent_back_then_the_grouping_is_kept(synthetic, tmp_path):
    report, emb = synthetic
    b0, s0 = tid("b0"), tid("s0")
    bad = Reply.json({"needs": [{"theme_ids": [b0, s0, 999]}, {"theme_ids": [s0]}]})   # unknown, repeated, left out
    with OpenAIServer(script(regroup=lambda body: bad)) as srv:
        out = propose_regrouping(report, llm_for(srv, tmp_path), embedder=emb)
        retry = srv.chat_requests[1]["messages"][-1]["content"]
        assert len(srv.chat_requests) == 2
    assert "not given: [999]" in retry and f"more than one need: [{s0}]" in retry and "left out" in retry
    assert partition(out) == partition(report)
    assert out.llm_outcome.failed == {"invalid output": 1}
    assert "grouping is kept" in out.llm_stats["regrouping"]["notes"][0]


def test_a_change_the_embeddings_support_is_applied_and_one_they_do_not_is_logged_not_kept(tmp_path):
    base, emb = _base_report()
    split = grouped(base, emb, {**NEED_OF, "b1": 4})           # one battery phrasing made a need of its own
    assert need_of_key(split, "b0") != need_of_key(split, "b1")
    groups = {}
    for key, need in NEED_OF.items():
        if key not in ("zz", "g0", "g1"):
            groups.setdefault(need, []).append(tid(key))
    groups[0].append(tid("s1"))      # support's second phrasing moved to battery: against the evidence
    groups[2].remove(tid("s1"))
    proposal = Reply.json({"needs": [{"theme_ids": ids} for ids in groups.values()]})
    with OpenAIServer(script(regroup=lambda body: proposal)) as srv:
        out = propose_regrouping(split, llm_for(srv, tmp_path), embedder=emb)
    log = out.llm_stats["regrouping"]
    by_kind = {c["kind"]: c for c in log["changes"]}
    assert (log["kept"], log["rejected"]) == (1, 1) and set(by_kind) == {"merge", "move"}
    assert by_kind["merge"]["kept"] and by_kind["merge"]["similarity"] > log["floor"]
    assert not by_kind["move"]["kept"] and by_kind["move"]["themes"] == [tid("s1")]
    assert by_kind["move"]["similarity"] < log["floor"]
    assert any("not kept" in n for n in log["notes"]) and any(": kept (now need" in n for n in log["notes"])
    # applied: the battery phrasings are one need again, support is whole, praise still apart
    assert need_of_key(out, "b0") == need_of_key(out, "b1") != need_of_key(out, "s1")
    assert need_of_key(out, "s0") == need_of_key(out, "s1")
    assert [n.kind for n in out.non_needs] == ["praise"] and len(out.needs) == len(split.needs) - 1
    assert [n.id for n in out.needs] == list(range(len(out.needs)))
    assert all(a.need_id == out.theme(a.theme_id).need_id for a in out.assignments)
    assert sum(n.size for n in (*out.needs, *out.non_needs)) == out.n_items
    assert out.llm_outcome.succeeded == 1


def test_vectors_given_by_the_caller_judge_as_the_embedder_does(tmp_path):
    base, emb = _base_report()
    split = grouped(base, emb, {**NEED_OF, "b1": 4})
    texts = list(dict.fromkeys(it.text for it in split.feedback.items))
    proposal = Reply.json({"needs": [{"theme_ids": [tid(k) for k in keys]}
                                     for keys in (("b0", "b1"), ("p0", "p1"), ("s0", "s1"))]})
    with OpenAIServer(script(regroup=lambda body: proposal)) as srv:
        given = propose_regrouping(split, llm_for(srv, tmp_path), vectors=emb.embed(texts))
        embedded = propose_regrouping(split, llm_for(srv, tmp_path), embedder=emb)
    assert given.llm_stats["regrouping"]["changes"] == embedded.llm_stats["regrouping"]["changes"]
    with pytest.raises(fiq.InputError, match="distinct text"):
        with OpenAIServer(script(regroup=lambda body: proposal)) as srv:
            propose_regrouping(split, llm_for(srv, tmp_path), vectors=emb.embed(texts[:-1]))


def test_themes_a_team_placed_are_not_shown(synthetic, tmp_path):
    report = synthetic[0].model_copy(deep=True)
    report.parameters["themes_fixed_by_overrides"] = [tid("s1")]
    with OpenAIServer(script()) as srv:
        out = propose_regrouping(report, llm_for(srv, tmp_path))
        shown = {r["theme"] for r in blocks(srv.chat_requests[0]["messages"][1]["content"])[0]}
    assert tid("s0") not in shown and tid("s1") not in shown and tid("b0") in shown
    assert out.llm_stats["regrouping"]["notes"] == ["the LLM kept the grouping"]


# -- on the samples -----------------------------------------------------------------------------------------------
def test_on_the_samples_merging_battery_into_pricing_is_not_kept(sample_report, tmp_path):
    fs, report = sample_report
    truth = majority_truth_by_need(fs, report)
    battery = max((n for n in report.needs if truth.get(n.id) == "battery"), key=lambda n: n.respondents)
    pricing = max((n for n in report.needs if truth.get(n.id) == "pricing"), key=lambda n: n.respondents)

    def regroup(body):   # battery's themes joined to pricing's; the rest as it is
        by_need: dict = {}
        for r in blocks(body["messages"][1]["content"])[0]:
            by_need.setdefault(pricing.id if r["need"] == battery.id else r["need"], []).append(r["theme"])
        return Reply.json({"needs": [{"theme_ids": ids} for ids in by_need.values()]})

    with OpenAIServer(script(regroup=regroup)) as srv:
        out = propose_regrouping(report, llm_for(srv, tmp_path))
    log = out.llm_stats["regrouping"]
    assert log["kept"] == 0 and log["rejected"] >= 1 and partition(out) == partition(report)
    assert all(c["source"] == battery.id and c["similarity"] < log["floor"] for c in log["changes"])


def test_on_the_samples_no_text_of_a_small_theme_is_in_any_request(sample_report, tmp_path):
    fs, report = sample_report
    threshold = int(np.median([t.respondents for t in report.themes]))
    small = {t.id for t in report.themes if t.respondents < threshold}
    mixed = [n for n in report.needs if small & set(n.theme_ids) and set(n.theme_ids) - small]
    assert mixed   # precondition: a need holds themes on both sides of the threshold
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    texts = {}
    for it in fs.items:
        texts.setdefault(it.text, set()).add(theme_of.get(it.id))
    only_small = [t for t, where in texts.items() if where <= small]
    with OpenAIServer(script()) as srv:
        name_themes(report, llm_for(srv, tmp_path), min_respondents=threshold)
        propose_regrouping(report, llm_for(srv, tmp_path), min_respondents=threshold)
        sent = {s for r in srv.chat_requests for block in blocks(r["messages"][1]["content"]) for rec in block
                for s in ([rec.get("text")] + rec.get("quotes", [])) if s}
        assert {schema_of(r) for r in srv.chat_requests} == {"NeedNaming", "NeedRegrouping"}
    redact = fiq.Redactor().redact
    assert sent and not (set(only_small) | {redact(t) for t in only_small}) & sent


def test_a_run_regroups_then_names_needs_and_its_key_holds_the_prompts(tmp_path, monkeypatch):
    from feedbackiq.pipeline import RunConfig
    from helpers import SAMPLES

    monkeypatch.setenv("OPENAI_API_KEY", "k")
    out = tmp_path / "run"
    with OpenAIServer(script()) as srv:
        def config(**llm):
            return RunConfig.model_validate({"llm": {"model": "m", "base_url": srv.base_url, **llm}})

        first = fiq.run(SAMPLES / "app_reviews.csv", out, config=config(regroup_needs=True))
        kinds = [schema_of(r) for r in srv.chat_requests]
        again = fiq.run(SAMPLES / "app_reviews.csv", out, config=config(regroup_needs=True), resume=True)
        plain = fiq.run(SAMPLES / "app_reviews.csv", out, config=config(), resume=True)
    named = sum(n.label_source == "llm" for n in first.report.needs)
    assert kinds.count("NeedRegrouping") == 1 and kinds.count("NeedNaming") == named > 0
    o = first.report.llm_outcome
    assert o.calls == o.succeeded == named + 1 and first.report.llm_stats["regrouping"]["notes"]
    assert {"name_need", "regroup_needs"} <= set(first.manifest.prompt_versions)
    status = {r.stage: r.status for r in again.manifest.stages}
    assert status["names"] == "reused"
    status = {r.stage: r.status for r in plain.manifest.stages}
    assert status["themes"] == "reused" and status["names"] == "done"       # regrouping off: another key
    assert "regroup_needs" not in plain.manifest.prompt_versions
