"""Persona cards from the needs: computed facts, distinctive needs (never praise), planted personas recovered."""

import pytest
from helpers import majority_truth_by_need, truth_by_item

import feedbackiq as fiq
from feedbackiq import EmptyInputError, InputError
from feedbackiq._lang import has_cjk
from feedbackiq._terms import TermMatcher, lexicon
from feedbackiq.gtm import distinctive_words
from feedbackiq.gtm import _personas as personas_module
from feedbackiq._voice import voice_of
from feedbackiq.types import ThemeReport

# The planted personas' top needs by company size (datasets/README.md, "planted personas").
ENTERPRISE = {"supply_chain_visibility", "permissions", "support", "dialect"}
SMALL = {"pricing", "supply_chain_visibility", "onboarding"}
MIDMARKET = {"permissions", "onboarding", "battery", "camera"}
PLANTED = {"1000+": ENTERPRISE, "201-1000": ENTERPRISE, "1-10": SMALL, "11-50": SMALL, "51-200": MIDMARKET}


def test_planted_segments_are_recovered_by_company_size(sample_report):
    """Supply-chain visibility is a top need of large manufacturers and of small shops alike, and each
    says it in its own words: coordination for the large, cost for the small (the planted story)."""
    fs, rep = sample_report
    ps = fiq.draft_personas(rep, by="company_size")
    assert ps.mode == "segment" and ps.by == "company_size"
    planted = majority_truth_by_need(fs, rep, "theme")
    framing = truth_by_item(fs, "framing")
    need_of = {a.item_id: a.need_id for a in rep.assignments}
    for size, want in (("1000+", "supply_coord"), ("201-1000", "supply_coord"), ("1-10", "supply_cost"),
                       ("11-50", "supply_cost")):
        p = next(p for p in ps.personas if p.segment["company_size"] == size)
        supply = [n.need_id for n in p.top_needs[:2] if planted[n.need_id] == "supply_chain_visibility"]
        assert supply, (size, [planted[n.need_id] for n in p.top_needs])
        said = [framing.get(q.item_id) for q in p.quotes if need_of[q.item_id] in supply]
        assert said and all(f in (want, None) for f in said), (size, said)   # None: the Chinese survey, no truth


def test_top_needs_are_the_planted_personas_needs(sample_report):
    """Each company size leads with its planted persona's needs: the first two are planted ones, and so
    are at least three of the five; the first is clearly distinctive (lift >= 1.5)."""
    fs, rep = sample_report
    planted = majority_truth_by_need(fs, rep, "theme")
    ps = fiq.draft_personas(rep, by="company_size")
    assert sorted(p.segment["company_size"] for p in ps.personas) == sorted(PLANTED)
    for p in ps.personas:
        want = PLANTED[p.segment["company_size"]]
        got = [planted[n.need_id] for n in p.top_needs]
        assert len(got) == 5 and set(got[:2]) <= want and sum(g in want for g in got) >= 3, (p.label, got)
        assert p.top_needs[0].lift >= 1.5, p.top_needs[0]


@pytest.mark.parametrize("by", ["company_size", "plan", "industry", None])
def test_top_needs_are_needs_never_praise(sample_report, by):
    """Praise and small talk (the largest group in the samples) is no one's need, in either mode."""
    _, rep = sample_report
    praise = {n.id for n in rep.non_needs}
    assert praise and max(n.respondents for n in rep.non_needs) > max(n.respondents for n in rep.needs)
    names = {n.id: n.name for n in rep.needs}
    in_a_need = {a.item_id for a in rep.assignments if a.need_id in names}
    ps = fiq.draft_personas(rep, by=by)
    for p in ps.personas:
        assert p.top_needs
        assert all(n.need_id in names and n.need_name == names[n.need_id] for n in p.top_needs), p.top_needs
        assert not {n.need_id for n in p.top_needs} & praise
        assert p.quotes and all(q.item_id in in_a_need for q in p.quotes)   # one quote per top need, from it


def test_numbers_are_computed_from_the_data(sample_report):
    fs, rep = sample_report
    ps = fiq.draft_personas(rep, by="plan")
    need_of = {a.item_id: a.need_id for a in rep.assignments}
    voices = {}
    for it in fs.items:
        voices.setdefault(voice_of(it), []).append(it)
    n_all = len(voices)
    for p in ps.personas:
        members = [v for v, items in voices.items() if any(i.segments.get("plan") == p.segment["plan"] for i in items)]
        assert p.respondents == len(members)
        for need in p.top_needs:
            voicing = [v for v in members if any(need_of[i.id] == need.need_id for i in voices[v])]
            overall = [v for v, items in voices.items() if any(need_of[i.id] == need.need_id for i in items)]
            assert need.respondents == len(voicing)
            assert need.share == pytest.approx(len(voicing) / len(members), abs=1e-4)
            assert need.overall_share == pytest.approx(len(overall) / n_all, abs=1e-4)
        assert {q.item_id for q in p.quotes} <= {i.id for v in members for i in voices[v]}
        assert p.confidence == ("high" if p.respondents >= 30 else "medium" if p.respondents >= 10 else "low")


def test_auto_segment_and_unknown_column(sample_report):
    _, rep = sample_report
    ps = fiq.draft_personas(rep)  # by="segment": picks a usable column
    assert ps.mode == "segment" and 2 <= len(ps.personas) <= 8
    with pytest.raises(InputError, match="no segment column 'region'"):
        fiq.draft_personas(rep, by="region")


def test_data_driven_mode_clusters_by_need_profile(sample_report):
    """Respondents grouped by the needs they voice: each persona is led by one need most of it voices, and
    no two personas lead with the same planted need (one need voiced in several ways or languages is
    one profile, not several)."""
    fs, rep = sample_report
    ps = fiq.draft_personas(rep, by=None)
    assert ps.mode == "data_driven" and ps.by is None and len(ps.personas) >= 4
    for p in ps.personas:
        assert p.top_needs and not p.segment
        assert p.top_needs[0].share >= 0.4 and p.top_needs[0].lift >= 2.0, (p.label, p.top_needs[0])
        assert p.label.endswith(f"most concerned with “{p.top_needs[0].need_name}”"), p.label   # reads as a title
    framing = majority_truth_by_need(fs, rep, "framing")
    leads = [framing[p.top_needs[0].need_id] for p in ps.personas]
    assert len(set(leads)) == len(leads), leads


def test_empty_report_is_a_clear_error():
    with pytest.raises(EmptyInputError):
        fiq.draft_personas(ThemeReport())


def test_distinctive_words_prefers_group_words():
    g = [["inventory", "cost"], ["cost", "shipping"], ["cost", "cheap"], ["inventory", "cheap"]]
    r = [["team", "coordination"], ["team", "waiting"], ["department", "team"], ["cost", "team"]]
    words = [w for w, _ in distinctive_words(g, r, top_n=3, min_count=2)]
    assert words[0] == "cost" or words[0] == "inventory"
    assert "team" not in words


def test_cli_personas_after_themes(tmp_path, samples):
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["personas", str(tmp_path)])
    assert res.exit_code == 2 and "feedbackiq themes" in res.output
    assert runner.invoke(app, ["themes", str(samples / "survey_export.csv"), "--out", str(tmp_path), "--show", "0"]).exit_code == 0
    res = runner.invoke(app, ["personas", str(tmp_path), "--by", "company_size"])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "personas.md").read_text(encoding="utf-8")
    assert md.startswith("# Personas") and "## Enterprise " in md and "(1000+ employees" in md and "In their words:" in md
    assert "company_size: 1000+" not in md   # titled by who they are, not by the bucket
    assert fiq.types.PersonaSet.model_validate_json((tmp_path / "personas.json").read_text()).by == "company_size"
    docs = sorted((tmp_path / "personas").glob("*.md"))  # one readable document per persona
    assert len(docs) == md.count("\n## ") and any("1000-employees" in d.name for d in docs)
    assert docs[0].read_text(encoding="utf-8").startswith("# ")


SIZE_WORDS = {"1000+": "Enterprise", "201-1000": "Large", "51-200": "Mid-market", "11-50": "Small", "1-10": "Micro"}


def test_segment_personas_are_titled_by_who_they_are(sample_report):
    """"Enterprise manufacturing and logistics companies (1000+ employees, Enterprise plan)", not
    "company_size: 1000+": the size band's word, the industries most of them are in, their plan."""
    _, rep = sample_report
    ps = fiq.draft_personas(rep, by="company_size")
    for p in ps.personas:
        size = p.segment["company_size"]
        assert p.label.startswith(SIZE_WORDS[size] + " ") and f"({size} employees" in p.label, p.label
        assert "company_size" not in p.label
        industries = [v for v, n in p.facts["industry"].items() if n >= 0.2 * p.respondents]
        assert any(v in p.label for v in industries), (p.label, p.facts["industry"])
    assert len({p.label for p in ps.personas}) == len(ps.personas)
    by_industry = fiq.draft_personas(rep, by="industry")
    assert any(p.label.startswith("Enterprise manufacturers (201-1000, 1000+ employees") for p in by_industry.personas), \
        [p.label for p in by_industry.personas]


def test_auto_groups_by_need_profile_when_the_groups_are_distinct(sample_report, monkeypatch, caplog):
    """``by="auto"`` (the default of `feedbackiq run`): personas by need profile when each group's lead need
    has lift >= 2 and share >= 40% (and no two share one), keeping the personas by segment beside them;
    otherwise personas by segment, and the set says why."""
    _, rep = sample_report
    ps = fiq.draft_personas(rep, by="auto")
    assert ps.mode == "data_driven" and ps.note and "distinct" in ps.note
    assert personas_module.why_not_distinct(ps.personas) is None
    leads = [p.top_needs[0] for p in ps.personas]
    assert all(n.lift >= 2 and n.share >= 0.4 for n in leads) and len({n.need_id for n in leads}) == len(leads)
    segments = ps.by_segment()
    assert segments.mode == "segment" and segments.by == "company_size" and len(segments.personas) == 5
    assert fiq.types.PersonaSet.model_validate_json(ps.model_dump_json()) == ps
    md = fiq.gtm.personas_to_markdown(ps)
    assert "Why this grouping" in md and "## The same customers by `company_size`" in md

    monkeypatch.setattr(personas_module, "DISTINCT_LIFT", 100.0)   # no group can be that distinct
    with caplog.at_level("WARNING", logger="feedbackiq"):
        fallback = fiq.draft_personas(rep, by="auto")
    assert fallback.mode == "segment" and fallback.by == "company_size"
    assert "lift" in fallback.note and fallback.note.startswith("by company_size")
    assert any("personas: by company_size" in r.getMessage() for r in caplog.records)


def test_objections_and_triggers_are_cited_sentences_of_the_personas_sales_notes(sample_report):
    """Without an LLM, each persona's objections and buying triggers are sentences of its own sales notes that
    raise one (by the en + zh lexicons; a lost deal's problem is an objection), each citing the note verbatim."""
    fs, rep = sample_report
    by_id = fs.by_id()
    ps = fiq.draft_personas(rep, by="company_size")
    objections = triggers = 0
    for p in ps.personas:
        own = {it.id for it in fs.items if it.segments.get("company_size") == p.segment["company_size"]}
        for kind, claims in (("objection", p.objections), ("trigger", p.buying_triggers)):
            for c in claims:
                (cite,) = c.citations
                note = by_id[cite.item_id]
                assert cite.item_id in own and note.source.value == "sales_note", (p.label, c)
                assert cite.quote in note.text and c.text in cite.quote, c
                assert not c.text.lower().startswith(("prospect says", "qbr note", "champion mentioned", "拜访记录"))
                if kind == "trigger":
                    assert lexicon("trigger_terms.txt").search(c.text), c.text
                else:
                    assert lexicon("objection_terms.txt").search(c.text) or note.deal_stage == "lost", c.text
        objections += len(p.objections)
        triggers += len(p.buying_triggers)
        assert len({c.text for c in p.objections + p.buying_triggers}) == len(p.objections) + len(p.buying_triggers)
    assert objections >= 5 and triggers >= 5
    md = fiq.gtm.personas_to_markdown(ps)
    assert "Objections (sentences of their sales notes)" in md and "Buying triggers (sentences of their sales notes)" in md


def test_persona_quotes_are_the_customers_words_without_crm_lead_ins(sample_report):
    fs, rep = sample_report
    by_id = fs.by_id()
    quotes = [q for by in ("company_size", None) for p in fiq.draft_personas(rep, by=by).personas for q in p.quotes]
    notes = [q for q in quotes if q.source.value == "sales_note"]
    assert notes, "the samples' personas quote sales notes"
    for q in quotes:
        assert q.text and q.text in by_id[q.item_id].text    # still verbatim: a part of the item's own text
        assert not q.text.lower().startswith(("prospect says", "qbr note", "champion mentioned", "拜访记录", "采购负责人表示")), q.text
    assert any(q.text != by_id[q.item_id].text for q in notes)   # the samples' notes do open with lead-ins


def test_persona_words_are_their_own_without_numbers_or_filler(sample_report):
    fs, rep = sample_report
    filler = {"five", "already", "thin already", "team five", "prospect", "says", "mentioned", "qbr", "demo"}
    for by in ("company_size", None):
        for p in fiq.draft_personas(rep, by=by).personas:
            assert p.preferred_words, p.label
            texts = [q.text for q in p.quotes]
            if p.segment:
                texts = [it.text for it in fs.items if it.segments.get("company_size") == p.segment["company_size"]]
            for w in p.preferred_words:
                assert not any(ch.isdigit() for ch in w) and w not in filler and not set(w.split()) & filler, w
                if p.segment:
                    assert any((w in t) if has_cjk(w) else TermMatcher([w]).search(t) for t in texts), (p.label, w)


def test_need_profiles_ask_for_no_more_groups_than_distinct_profiles(samples):
    """Reviews voice one need each: there are only as many distinct profiles as needs, and clustering them
    into more groups than that is not tried (scikit-learn would warn on every `run` of such an export)."""
    import warnings

    rep = fiq.find_themes(fiq.read_feedback(samples / "app_reviews.csv"), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ps = fiq.draft_personas(rep, by=None)
    assert ps.mode == "data_driven" and 2 <= len(ps.personas) <= len(rep.needs)
