"""A slow local model: streamed replies, timeouts that name their setting, sizing defaults, prompts that fit
a small context, and progress with an ETA. Against the scripted server on 127.0.0.1 with the real openai client."""

import io
import json

import pytest
from helpers import MESSAGES, Name, make_llm

from feedbackiq import LLMCallError
from feedbackiq.llm import LLM
from feedbackiq.llm._client import DEFAULTS, is_local_url
from feedbackiq.llm._context import estimate_messages, estimate_tokens, evidence_budget, fit_records, shorten
from feedbackiq.llm._prompts import feedback_block
from feedbackiq.pipeline import EXAMPLE_CONFIG, RunConfig
from feedbackiq.pipeline._progress import JsonLogObserver, PlainObserver
from feedbackiq.testing import OpenAIServer, Reply

# A reply that takes 8 x 0.15 = 1.2 s in all, with no silence longer than 0.15 s: four times longer than
# the 0.3 s timeout as a whole, and each pause half of it.
SLOW = Reply.trickle({"name": "Battery life", "score": 3}, chunks=8, seconds_between=0.15)


def test_a_slow_streamed_reply_is_not_killed(tmp_path):
    with OpenAIServer([SLOW]) as srv:
        llm = make_llm(srv, tmp_path, timeout=0.3, max_retries=0)
        assert llm.stream  # an endpoint on this machine streams by default
        assert llm.complete(MESSAGES, Name) == Name(name="Battery life", score=3)
        req = srv.chat_requests[0]
        assert req["stream"] is True and req["stream_options"] == {"include_usage": True}
        assert len(srv.chat_requests) == 1
        # Usage comes from the stream's last chunk, as from a whole reply.
        call = llm.store().calls()[0]
        assert (call["input_tokens"], call["output_tokens"]) == (20, 10) and call["error"] is None


def test_the_same_reply_not_streamed_times_out_and_the_error_names_the_setting(tmp_path):
    with OpenAIServer([SLOW]) as srv:
        with pytest.raises(LLMCallError) as exc:
            make_llm(srv, tmp_path, timeout=0.3, max_retries=1, stream=False).complete(MESSAGES, Name)
    msg = str(exc.value)
    assert exc.value.reason == "timeout after retries"
    assert "[llm] timeout" in msg and "--llm-timeout" in msg and "--retry-failed" in msg
    assert "no reply within 0.3 s" in msg


def test_a_streamed_silence_past_the_timeout_names_the_setting(tmp_path):
    with OpenAIServer([Reply.slow(1.0, json.dumps({"name": "late", "score": 1}))]) as srv:
        with pytest.raises(LLMCallError) as exc:
            make_llm(srv, tmp_path, timeout=0.2, max_retries=0).complete(MESSAGES, Name)
    assert "sent no token for 0.2 s" in str(exc.value) and "[llm] timeout" in str(exc.value)


def test_a_server_that_refuses_streaming_is_asked_whole(tmp_path):
    def script(body):
        if body.get("stream"):
            return Reply.http_error(400, "stream is not supported")
        return Reply.json({"name": "whole", "score": 2})

    with OpenAIServer(script) as srv:
        llm = make_llm(srv, tmp_path)
        assert llm.complete(MESSAGES, Name).name == "whole"
        assert llm.stream is False
        assert [bool(r.get("stream")) for r in srv.chat_requests] == [True, False]


@pytest.mark.parametrize("stream", [True, False])
def test_a_looping_reply_stops_at_the_token_cap_and_is_sent_back_to_be_shorter(tmp_path, stream):
    """A small model that falls into a loop would write for an hour: each request carries the reply cap, and a
    reply cut off there goes back once, asked to be shorter, naming the setting."""
    with OpenAIServer([Reply.looping(), Reply.json({"name": "Battery", "score": 1})]) as srv:
        llm = make_llm(srv, tmp_path, stream=stream, max_reply_tokens=300)
        assert llm.complete(MESSAGES, Name).name == "Battery"
        first, second = srv.chat_requests
        assert first["max_tokens"] == 300
        assert "cut off at 300 tokens ([llm] max_reply_tokens)" in second["messages"][-1]["content"]


def test_a_server_that_wants_max_completion_tokens_gets_it(tmp_path):
    def script(body):
        if "max_tokens" in body:
            return Reply.http_error(400, "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.")
        return Reply.json({"name": "Battery", "score": 1})

    with OpenAIServer(script) as srv:
        llm = make_llm(srv, tmp_path)
        assert llm.complete(MESSAGES, Name).name == "Battery"
        assert [("max_tokens" in r, r.get("max_completion_tokens")) for r in srv.chat_requests] == [(True, None), (False, 1024)]


def test_sizing_defaults_follow_where_the_model_runs():
    local = LLM(model="m", base_url="http://127.0.0.1:8080/v1")
    assert (local.timeout, local.max_concurrency, local.stream) == (600.0, 1, True) == tuple(DEFAULTS["local"].values())
    remote = LLM(model="m", base_url="https://api.example.com/v1", api_key="k")
    assert (remote.timeout, remote.max_concurrency, remote.stream) == (60.0, 4, False)
    mine = LLM(model="m", base_url="http://localhost:11434/v1", timeout=90, max_concurrency=2, stream=False)
    assert (mine.timeout, mine.max_concurrency, mine.stream) == (90.0, 2, False)
    assert mine.settings()["local"] is True and mine.settings()["context_tokens"] == 8192
    assert is_local_url("http://[::1]:8080/v1") and not is_local_url("http://10.0.0.5:8080/v1")


def test_run_config_cli_and_example_expose_timeout_and_concurrency():
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    cfg = RunConfig.model_validate({"llm": {"timeout": 900, "max_concurrency": 2, "context_tokens": 4096}})
    assert (cfg.llm.timeout, cfg.llm.max_concurrency, cfg.llm.context_tokens) == (900, 2, 4096)
    assert RunConfig().llm.timeout is None and RunConfig().llm.max_concurrency is None  # by where the model runs
    for key in ("timeout", "max_concurrency", "context_tokens"):
        assert f"# {key} =" in EXAMPLE_CONFIG or f"\n{key} =" in EXAMPLE_CONFIG
    help_text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"}).output
    assert "--llm-timeout" in help_text and "--llm-concurrency" in help_text


def test_map_reports_calls_queued_and_done(tmp_path):
    events = []
    with OpenAIServer(lambda body: Reply.json({"name": body["messages"][-1]["content"], "score": 1})) as srv:
        llm = make_llm(srv, tmp_path, progress=lambda event, n: events.append((event, n)))
        msgs = [[{"role": "user", "content": f"n{i}"}] for i in range(3)]
        results, failures = llm.map(lambda m: llm.complete(m, Name), msgs)
    assert [r.name for r in results] == ["n0", "n1", "n2"] and not failures
    assert events == [("queued", 3), ("done", 1), ("done", 1), ("done", 1)]


@pytest.mark.parametrize("observer", ["plain", "json"])
def test_progress_lines_show_calls_done_and_an_eta(observer, capsys):
    stream = io.StringIO()
    obs = PlainObserver(every=0) if observer == "plain" else JsonLogObserver(stream, every=0)
    obs.stage_start("names", None, "47 themes")
    obs.add_total("names", 4)
    obs.advance("names")
    obs.advance("names")
    if observer == "plain":
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.startswith("names: 2/4 LLM calls in ") and ", eta " in line
    else:
        event = json.loads(stream.getvalue().strip().splitlines()[-1])
        assert event["event"] == "progress" and (event["done"], event["total"]) == (2, 4)
        assert event["eta_seconds"] is not None and event["eta_seconds"] >= 0


# -- prompts within a small context ---------------------------------------------------------------------------

def test_token_estimate_is_on_the_safe_side_for_chinese_and_english():
    zh = "电池续航太短，一天要充三次电，出差的时候特别麻烦"
    assert estimate_tokens(zh) >= len(zh)  # a CJK character is never fewer than one token in the estimate
    en = "The battery dies by noon and charging takes two hours, which is useless on the road"
    assert estimate_tokens(en) >= len(en.split())  # at least one token per word
    assert estimate_messages(MESSAGES) > estimate_tokens("You name things.Name it.")  # role markers count


def test_fit_records_keeps_the_evidence_block_within_its_budget():
    texts = ["Battery dies by noon. " * k for k in (3, 40, 5, 200, 2)] + ["电池续航太短。" * 30]
    records = [{"id": f"i{n}", "text": t.strip()} for n, t in enumerate(texts)]
    prompt = [{"role": "system", "content": "x" * 21000}, {"role": "user", "content": "Name the theme."}]
    budget = evidence_budget(prompt, 8192)
    assert 0 < budget < 8192 - 7000
    kept = fit_records(records, budget)
    assert estimate_tokens(feedback_block(kept)) <= budget + 10  # the tags are the only extra
    assert [r["id"] for r in kept] == sorted((r["id"] for r in kept), key=lambda i: int(i[1:]))  # order kept
    assert "i3" not in [r["id"] for r in kept]  # the longest item is what does not fit
    # Shortened, every shown text is a prefix of the item's own text: a quote from it stays checkable.
    short = fit_records(records, budget, max_chars=120)
    assert len(short) >= len(kept)
    by_id = {r["id"]: r["text"] for r in records}
    assert all(by_id[r["id"]].startswith(r["text"]) and len(r["text"]) <= 120 for r in short)
    assert records[1]["text"] == ("Battery dies by noon. " * 40).strip()  # records are copied, not changed


def test_fit_records_always_leaves_some_evidence():
    records = [{"id": "a", "text": "word " * 4000}]
    kept = fit_records(records, 300)
    assert len(kept) == 1 and records[0]["text"].startswith(kept[0]["text"]) and len(kept[0]["text"]) < 2000
    assert fit_records([], 300) == [] and fit_records(records, 300, min_records=0) == []


def test_shorten_ends_at_a_sentence_or_a_word():
    assert shorten("Battery dies by noon. Charging is slow too.", 30) == "Battery dies by noon."
    assert shorten("Battery dies by noon and charging is slow", 25) == "Battery dies by noon and"
    assert shorten("short", 25) == "short"


def test_fit_items_builds_an_evidence_set_within_the_context():
    from feedbackiq.llm._evidence import EvidenceSet
    from feedbackiq.llm._context import fit_items
    from feedbackiq.types import FeedbackItem

    items = [FeedbackItem(id=f"r{n}", text=("Battery dies by noon. " * n).strip(), source="review") for n in (4, 300, 6, 2)]
    messages = [{"role": "system", "content": "Name the need." * 100}, {"role": "user", "content": "<feedback_data>"}]
    budget = evidence_budget(messages, 2048)
    kept, shown = fit_items(items, budget, max_chars=300)
    ev = EvidenceSet(kept, shown)
    assert [it.id for it in kept] == ["r4", "r300", "r6", "r2"] and len(shown["r300"]) <= 300
    assert estimate_messages(messages) + estimate_tokens(ev.block()) + 1024 <= 2048 + 10
    assert all(it.text.startswith(shown[it.id]) for it in kept)  # what the model sees is the item's own prefix
    unshortened, _ = fit_items(items, budget)
    assert "r300" not in [it.id for it in unshortened]  # too long whole: left out, the others kept
