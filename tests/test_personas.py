"""Persona cards from the themes: computed facts, distinctive needs, planted segments recovered."""

import pytest
from conftest import majority_truth_by_theme

import feedbackiq as fiq
from feedbackiq import EmptyInputError, InputError
from feedbackiq.gtm import distinctive_words
from feedbackiq.themes._describe import voice_of
from feedbackiq.types import ThemeReport


def test_planted_segments_are_recovered_by_company_size(sample_report):
    """Large manufacturers' distinctive need is coordination; small shops' is cost (the planted story)."""
    fs, rep = sample_report
    ps = fiq.draft_personas(rep, by="company_size")
    assert ps.mode == "segment" and ps.by == "company_size"
    framing = majority_truth_by_theme(fs, rep, "framing")
    top = {p.segment["company_size"]: [framing.get(n.theme_id) for n in p.top_needs[:2]] for p in ps.personas}
    assert "supply_coord" in top["1000+"] and "supply_coord" in top["201-1000"]
    assert "supply_cost" in top["1-10"] and "supply_cost" in top["11-50"]


def test_numbers_are_computed_from_the_data(sample_report):
    fs, rep = sample_report
    ps = fiq.draft_personas(rep, by="plan")
    theme_of = {a.item_id: a.theme_id for a in rep.assignments}
    voices = {}
    for it in fs.items:
        voices.setdefault(voice_of(it), []).append(it)
    n_all = len(voices)
    for p in ps.personas:
        members = [v for v, items in voices.items() if any(i.segments.get("plan") == p.segment["plan"] for i in items)]
        assert p.respondents == len(members)
        for need in p.top_needs:
            voicing = [v for v in members if any(theme_of[i.id] == need.theme_id for i in voices[v])]
            overall = [v for v, items in voices.items() if any(theme_of[i.id] == need.theme_id for i in items)]
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


def test_data_driven_mode(sample_report):
    _, rep = sample_report
    ps = fiq.draft_personas(rep, by=None)
    assert ps.mode == "data_driven" and ps.by is None and len(ps.personas) >= 2
    for p in ps.personas:
        assert p.top_needs and p.top_needs[0].lift >= 1.0 and not p.segment


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
    assert md.startswith("# Personas") and "## company_size: 1000+" in md and "In their words:" in md
    assert fiq.types.PersonaSet.model_validate_json((tmp_path / "personas.json").read_text()).by == "company_size"
    docs = sorted((tmp_path / "personas").glob("*.md"))  # one readable document per persona
    assert len(docs) == md.count("\n## ") and any(d.name.endswith("company_size-1000.md") for d in docs)
    assert docs[0].read_text(encoding="utf-8").startswith("# company_size: ")
