"""One contract for the LLM steps: ``llm=None`` means no LLM in every library step, even when the
environment names one; only the edges (the CLI commands and ``feedbackiq.run``) read the environment."""

import logging

import pytest
from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq._cli import app
from feedbackiq.testing import OpenAIServer
from feedbackiq.types import Feature

from helpers import naming_replies
from test_cards import CARDS
from test_llm_privacy import build_report


@pytest.fixture
def env_server(monkeypatch):
    """A scripted server the environment points at (as a user's shell would)."""
    with OpenAIServer(naming_replies) as srv:
        # a model no other test names: the CLI's replies land in the session's shared cache
        monkeypatch.setenv("FEEDBACKIQ_LLM_MODEL", "model-from-env")
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        yield srv


def test_no_step_reads_the_environment(env_server, caplog):
    report = build_report()
    personas = fiq.draft_personas(report, by="plan", min_respondents=2)
    feature = Feature(name="Offline export", description="Export that works offline", themes=[0, 2])
    with caplog.at_level(logging.WARNING, logger="feedbackiq"):
        named = fiq.name_themes(report)
        regrouped = fiq.propose_regrouping(report, None)
        both = fiq.llm.regroup_and_name(report, None, regroup=True)
        drafted = fiq.gtm.draft_persona_traits(personas, report)
        (translation,) = fiq.translate_features([feature], personas, report)
    assert env_server.requests == []
    assert [n.name for n in named.needs] == [n.name for n in report.needs] == [n.name for n in both.needs]
    assert regrouped.needs == report.needs and drafted == personas
    assert translation.llm_outcome is None or translation.llm_outcome.summary() is None
    # the LLM-only steps say in one line each that nothing was done, and how to give them an LLM
    hints = [r.getMessage() for r in caplog.records if "no LLM" in r.getMessage()]
    assert len(hints) == 5 and all("\n" not in h and "LLM.from_env()" in h for h in hints), hints


def test_scoring_without_llm_reads_no_environment(env_server, sample_report):
    _, report = sample_report
    scores = fiq.score_cards(fiq.load_cards(CARDS), report)
    assert env_server.requests == [] and scores.llm_outcome is None


def test_cli_reads_the_environment(env_server, tmp_path, samples):
    res = CliRunner().invoke(app, ["themes", str(samples / "crm_notes.xlsx"), "--out", str(tmp_path), "--show", "0"])
    assert res.exit_code == 0, res.output
    assert len(env_server.chat_requests) >= 1 and "needs named" in res.output


def test_run_reads_the_environment(env_server, tmp_path, samples):
    result = fiq.run(samples / "crm_notes.xlsx", tmp_path / "run", best_effort=True)
    assert len(env_server.chat_requests) >= 1
    assert any(n.label_source == "llm" for n in result.report.needs)
