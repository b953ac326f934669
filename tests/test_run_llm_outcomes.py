"""A run's LLM calls: failed ones cost nothing on a rerun or a resume, total failure is not reported as success,
and two runs cannot share a run folder."""

import json
import os
import signal
import time

import pytest
from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq._cli import app
from feedbackiq.pipeline import RunConfig
from feedbackiq.testing import OpenAIServer, Reply
from helpers import SAMPLES, naming_replies, run_cli

REVIEWS = SAMPLES / "app_reviews.csv"


def http_500(body):
    return Reply.http_error(500, "upstream down", headers={"Retry-After": "0"})


class Switch:
    """A server script that can be changed while the server runs."""

    def __init__(self, script):
        self.script = script

    def __call__(self, body):
        return self.script(body)


def config_for(srv, **llm):
    return RunConfig.model_validate({"llm": {"model": "m", "base_url": srv.base_url, **llm}})


def test_rerun_and_resume_after_failed_calls_make_zero_calls_until_retry_failed(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    out = tmp_path / "run"
    script = Switch(http_500)
    with OpenAIServer(script) as srv:
        first = fiq.run(REVIEWS, out, config=config_for(srv), best_effort=True)
        paid = len(srv.chat_requests)
        names = first.report.llm_outcome
        assert paid > 0 and names.calls > 0 and names.all_failed()
        assert names.failed == {"HTTP 500 after retries": names.calls}

        again = fiq.run(REVIEWS, out, config=config_for(srv), best_effort=True)             # a fresh rerun
        assert len(srv.chat_requests) == paid
        assert again.report.llm_outcome == names
        calls = again.manifest.llm
        assert calls["cache_hits"] >= names.calls and calls["cached_failures"] >= names.calls

        fiq.run(REVIEWS, out, config=config_for(srv), best_effort=True, resume=True)        # a resume
        assert len(srv.chat_requests) == paid

        script.script = naming_replies   # the endpoint works again: nothing changes without the opt-in ...
        still = fiq.run(REVIEWS, out, config=config_for(srv), best_effort=True, resume=True)
        assert len(srv.chat_requests) == paid and still.report.llm_outcome.all_failed()
        retried = fiq.run(REVIEWS, out, config=config_for(srv, retry_failed=True), resume=True)   # ... and with it
        assert len(srv.chat_requests) > paid
        assert retried.report.llm_outcome.succeeded == retried.report.llm_outcome.calls == names.calls
        assert all(n.label_source == "llm" for n in retried.report.needs if n.respondents >= 3)


def test_total_llm_failure_exits_3_and_says_why_in_console_and_report(tmp_path):
    out = tmp_path / "run"
    with OpenAIServer(http_500) as srv:
        args = ["run", str(REVIEWS), "--out", str(out), "--llm", "m", "--llm-base-url", srv.base_url, "--progress", "plain"]
        res = CliRunner().invoke(app, args, env={"OPENAI_API_KEY": "k"})
        assert res.exit_code == 3, res.output
        line = next(x for x in res.output.splitlines() if "need names failed" in x)
        n = int(line.split(" of ")[1].split()[0])
        assert f"{n} of {n} need names failed: {n} HTTP 500 after retries" in line
        assert "every LLM call" in res.output and "--best-effort" in res.output
        md_top = "\n".join((out / "report.md").read_text(encoding="utf-8").splitlines()[:6])
        assert f"{n} of {n} need names failed: {n} HTTP 500 after retries" in md_top
        html = (out / "report.html").read_text(encoding="utf-8")
        assert html.index("need names failed") < html.index('id="summary"')   # above the first section
        assert "no LLM in this run" not in html   # the appendix does not call it a run without an LLM
        paid = len(srv.chat_requests)

        best = CliRunner().invoke(app, [*args, "--best-effort"], env={"OPENAI_API_KEY": "k"})
        assert best.exit_code == 0, best.output
        assert "need names failed" in best.output and len(srv.chat_requests) == paid   # cached failures: no call


def test_themes_command_partial_failure_exits_0_and_counts_failures(tmp_path):
    failing: set[str] = set()

    def half(body):   # the first need asked about fails every time (HTTP 500), the others are named
        first = body["messages"][1]["content"].split("<feedback_data>\n")[1].split("\n")[0]
        if not failing:
            failing.add(first)
        return http_500(body) if first in failing else naming_replies(body)

    with OpenAIServer(half) as srv:
        res = CliRunner().invoke(app, ["themes", str(REVIEWS), "--out", str(tmp_path / "t"), "--llm", "m-partial",
                                       "--llm-base-url", srv.base_url, "--show", "0"], env={"OPENAI_API_KEY": "k"})
    assert res.exit_code == 0, res.output
    report = fiq.ThemeReport.from_json(tmp_path / "t" / "themes.json")
    o = report.llm_outcome
    assert o.calls >= 2 and o.succeeded == o.calls - 1 and o.failed == {"HTTP 500 after retries": 1}
    assert o.summary() in res.output.replace("\n", " ")


def test_a_second_run_into_a_busy_folder_exits_2_naming_the_folder_and_pid(tmp_path):
    out = tmp_path / "run"

    def slow(body):   # keeps the first run in its naming stage
        time.sleep(0.5)
        return naming_replies(body)

    with OpenAIServer(slow) as srv:
        args = ["run", REVIEWS, "--out", out, "--llm", "m", "--llm-base-url", srv.base_url, "--progress", "quiet"]
        first = run_cli(args, {"OPENAI_API_KEY": "k"})
        try:
            deadline = time.time() + 240
            while not srv.chat_requests:
                assert first.poll() is None, first.communicate()
                assert time.time() < deadline, "the first run never reached the LLM"
                time.sleep(0.05)
            n = len(srv.chat_requests)
            res = CliRunner().invoke(app, [str(a) for a in args], env={"OPENAI_API_KEY": "k"})
            assert res.exit_code == 2, res.output
            message = res.output.strip()
            assert len(message.splitlines()) == 1 and str(out) in message and f"pid {first.pid}" in message
            with pytest.raises(fiq.RunDirBusyError, match=str(first.pid)):
                fiq.run(REVIEWS, out)
            # the second run stopped before any work: no LLM call of its own (the first one's go on, 1 at a time)
            assert len(srv.chat_requests) <= n + 4
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
    # a killed holder leaves no stale lock behind
    from feedbackiq.pipeline import run_dir_lock

    with run_dir_lock(out):
        assert (out / ".lock").read_text().strip() == str(os.getpid())


def test_a_stage_the_budget_stopped_is_finished_by_a_resume_with_a_larger_budget(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    out = tmp_path / "run"
    with OpenAIServer(naming_replies) as srv:
        short = fiq.run(REVIEWS, out, config=config_for(srv, max_calls=2, max_concurrency=1))
        names = short.report.llm_outcome
        assert names.succeeded == names.calls == 2 and names.not_run > 0
        assert "not run: LLM budget reached" in (out / "report.md").read_text(encoding="utf-8")
        paid = len(srv.chat_requests)
        done = fiq.run(REVIEWS, out, config=config_for(srv), resume=True)
    stages = {s.stage: s.status for s in done.manifest.stages}
    assert stages["themes"] == "reused" and stages["names"] == "done"   # not the budget-stopped checkpoint
    assert done.report.llm_outcome.succeeded == done.report.llm_outcome.calls == names.calls + names.not_run
    assert len(srv.chat_requests) - paid >= names.not_run   # the two named before came from the cache


def test_the_manifest_counts_this_runs_llm_calls_and_the_folders_total_apart(tmp_path, monkeypatch):
    """A resumed run that made no call reported the folder's whole call log (76 calls) as its own."""
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    out = tmp_path / "run"
    with OpenAIServer(naming_replies) as srv:
        first = fiq.run(REVIEWS, out, config=config_for(srv)).manifest.llm
        paid = len(srv.chat_requests)
        again = fiq.run(REVIEWS, out, config=config_for(srv), resume=True).manifest.llm
        assert len(srv.chat_requests) == paid
    assert first["calls"] > 0 and first["input_tokens"] > 0
    assert first["folder_total"]["calls"] == first["calls"]
    assert again["calls"] == again["cache_hits"] == again["input_tokens"] == again["output_tokens"] == again["errors"] == 0
    assert again["folder_total"]["calls"] == first["calls"]
    assert again["folder_total"]["input_tokens"] == first["input_tokens"]
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "LLM m: 0 calls in this run" in md and f"this folder's call log: {first['calls']} calls" in md
