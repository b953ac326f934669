"""The LLM client against a real HTTP server on 127.0.0.1, with the real openai client."""

import json

import pytest
from helpers import MESSAGES, Name, make_llm

from feedbackiq import BudgetExceededError, LLMCallError, LLMNotConfiguredError, LLMOutputError
from feedbackiq.llm import LLM, Budget, map_calls, parse_json_reply, tally
from feedbackiq.testing import OpenAIServer, Reply


def test_structured_output_and_request_shape(tmp_path):
    with OpenAIServer([Reply.json({"name": "Battery", "score": 3})]) as srv:
        out = make_llm(srv, tmp_path).complete(MESSAGES, Name)
        assert out == Name(name="Battery", score=3)
        req = srv.chat_requests[0]
        assert req["model"] == "test-model" and req["messages"] == MESSAGES
        assert req["response_format"]["type"] == "json_schema"
        assert req["response_format"]["json_schema"]["schema"] == Name.model_json_schema()


def test_rerun_hits_the_cache_with_zero_requests(tmp_path):
    with OpenAIServer([Reply.json({"name": "Battery", "score": 3})]) as srv:
        make_llm(srv, tmp_path).complete(MESSAGES, Name)
        n = len(srv.requests)
        llm2 = make_llm(srv, tmp_path)  # a new process would build a new client
        assert llm2.complete(MESSAGES, Name).name == "Battery"
        assert len(srv.requests) == n
        calls = llm2.store().calls()
        assert [c["cache_hit"] for c in calls] == [0, 1]
        assert calls[0]["input_tokens"] == 20 and calls[0]["attempts"] == 1 and calls[0]["prompt"] == "adhoc"


def test_validation_error_goes_back_to_the_model(tmp_path):
    with OpenAIServer([Reply.json({"name": "Battery"}), Reply.json({"name": "Battery", "score": 2})]) as srv:
        assert make_llm(srv, tmp_path).complete(MESSAGES, Name).score == 2
        second = srv.chat_requests[1]["messages"]
        assert second[-2]["role"] == "assistant" and "score" in second[-1]["content"] and "invalid" in second[-1]["content"]


def test_validation_gives_up_with_last_reply_attempts_usage(tmp_path):
    with OpenAIServer([Reply.text("not json at all")]) as srv:
        with pytest.raises(LLMOutputError) as exc:
            make_llm(srv, tmp_path, validation_retries=2).complete(MESSAGES, Name)
        e = exc.value
        assert e.last_reply == "not json at all" and e.attempts == 3
        assert e.usage == {"input_tokens": 60, "output_tokens": 30}
        assert len(srv.chat_requests) == 3


def test_429_with_retry_after_then_success(tmp_path):
    with OpenAIServer([Reply.rate_limited(0.05), Reply.json({"name": "x", "score": 1})]) as srv:
        assert make_llm(srv, tmp_path).complete(MESSAGES, Name).name == "x"
        assert len(srv.chat_requests) == 2


@pytest.mark.parametrize("fault", [Reply.http_error(500), Reply.http_error(503), Reply.dropped(), Reply.malformed()])
def test_transient_faults_are_retried(tmp_path, fault):
    with OpenAIServer([fault, Reply.json({"name": "ok", "score": 1})]) as srv:
        assert make_llm(srv, tmp_path).complete(MESSAGES, Name).name == "ok"


def test_timeout_retried_then_typed_error(tmp_path):
    with OpenAIServer([Reply.slow(1.0, json.dumps({"name": "late", "score": 1}))]) as srv:
        with pytest.raises(LLMCallError, match="attempts"):
            make_llm(srv, tmp_path, timeout=0.2, max_retries=1).complete(MESSAGES, Name)
        assert len(srv.chat_requests) == 2


def test_json_schema_rejected_falls_back(tmp_path):
    def script(body):
        rf = body.get("response_format", {}).get("type")
        if rf == "json_schema":
            return Reply.http_error(400, "response_format json_schema is not supported")
        if rf == "json_object":
            return Reply.http_error(400, "Unsupported response_format type json_object")
        return Reply.text('Sure! ```json\n{"name": "plain", "score": 5}\n```')

    with OpenAIServer(script) as srv:
        llm = make_llm(srv, tmp_path)
        assert llm.complete(MESSAGES, Name).name == "plain"
        assert llm.mode == "plain"
        assert [r.get("response_format", {}).get("type") for r in srv.chat_requests] == ["json_schema", "json_object", None]
        assert "JSON schema" in srv.chat_requests[-1]["messages"][0]["content"]


def test_other_400_is_not_retried(tmp_path):
    with OpenAIServer([Reply.http_error(400, "context length exceeded")]) as srv:
        with pytest.raises(LLMCallError, match="rejected"):
            make_llm(srv, tmp_path).complete(MESSAGES, Name)
        assert len(srv.chat_requests) == 1


def test_budget_cap_mid_batch_keeps_completed(tmp_path):
    with OpenAIServer(lambda body: Reply.json({"name": body["messages"][-1]["content"], "score": 1})) as srv:
        llm = make_llm(srv, tmp_path, budget=Budget(max_calls=3), max_concurrency=1)
        msgs = [[{"role": "user", "content": f"item {i}"}] for i in range(5)]
        results, failures = llm.map(lambda m: llm.complete(m, Name), msgs)
        assert [r.name for r in results[:3]] == ["item 0", "item 1", "item 2"]
        assert results[3:] == [None, None]
        assert [i for i, _ in failures] == [3, 4] and all(isinstance(e, BudgetExceededError) for _, e in failures)
        assert len(srv.chat_requests) == 3
        # the rerun is served by the cache for the finished items and only pays for the rest
        llm2 = make_llm(srv, tmp_path, budget=Budget(max_calls=2), max_concurrency=2)
        results2, failures2 = llm2.map(lambda m: llm2.complete(m, Name), msgs)
        assert not failures2 and len(srv.chat_requests) == 5


def test_map_calls_collects_expected_failures_and_raises_the_rest(tmp_path):
    """Every step maps its calls through ``map_calls``: an LLM error or an invalid reply is a failure the step
    counts and falls back on, after the other calls ran; any other exception is a bug and is raised."""
    expected = {1: LLMCallError("down", reason="HTTP 500 after retries"), 2: LLMOutputError("bad JSON"),
                3: ValueError("no gloss for q1"), 5: BudgetExceededError("cap")}
    ran: list[int] = []

    def call(i, bug=None):
        ran.append(i)
        if i == bug:
            raise KeyError("a bug")
        if i in expected:
            raise expected[i]
        return i * 10

    with OpenAIServer([]) as srv:
        llm = make_llm(srv, tmp_path, max_concurrency=1)
        results, failures = map_calls(llm, call, range(6))
        assert results == [0, None, None, None, 40, None]
        assert failures == sorted(expected.items())
        outcome = tally("tests", 2, failures)
        assert outcome.failed == {"HTTP 500 after retries": 1, "invalid output": 2} and outcome.not_run == 1

        ran.clear()
        with pytest.raises(KeyError, match="a bug"):
            map_calls(llm, lambda i: call(i, bug=2), range(5))
        assert sorted(ran) == [0, 1, 2, 3, 4]   # raised after the other calls ended


def test_budget_estimate():
    b = Budget(max_calls=5, cost_per_1k_input=1.0, cost_per_1k_output=2.0)
    est = b.estimate(n_calls=4, input_tokens_per_call=500, output_tokens_per_call=100)
    assert est == {"calls": 4, "input_tokens": 2000, "output_tokens": 400, "cost": 2.8, "fits": True}
    assert not b.estimate(n_calls=6, input_tokens_per_call=1)["fits"]


def test_not_configured(monkeypatch, tmp_path):
    for var in ("FEEDBACKIQ_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    assert LLM.from_env() is None
    with pytest.raises(LLMNotConfiguredError, match="FEEDBACKIQ_LLM_MODEL"):
        LLM(cache_dir=tmp_path).complete(MESSAGES, Name)


def test_env_configuration(monkeypatch):
    monkeypatch.setenv("FEEDBACKIQ_LLM_MODEL", "qwen-plus")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    llm = LLM.from_env()
    assert llm is not None and llm.model == "qwen-plus" and llm.base_url.endswith("/v1")


def test_parse_json_reply_variants():
    assert parse_json_reply('{"a": 1}') == {"a": 1}
    assert parse_json_reply('text ```json\n{"a": 2}\n``` more') == {"a": 2}
    assert parse_json_reply('Here: {"a": 3} thanks') == {"a": 3}
    with pytest.raises(ValueError):
        parse_json_reply("nothing here")


def test_azure_openai_deployment_path(tmp_path):
    with OpenAIServer([Reply.json({"name": "az", "score": 1})]) as srv:
        llm = LLM(model="my-deployment", azure_endpoint=srv.base_url.removesuffix("/v1"), api_version="2024-06-01",
                  api_key="k", cache_dir=tmp_path, backoff=0.001)
        assert llm.configured() and llm.complete(MESSAGES, Name).name == "az"
        req = srv.requests[0]
        assert req["path"] == "/openai/deployments/my-deployment/chat/completions"
        assert "api-version=2024-06-01" in req["query"]


def test_many_first_uses_of_a_new_cache_file_at_once(tmp_path):
    """Threads of one LLM (map) and separate stores (other processes) opening the same new llm.sqlite
    together: none fails with "database is locked" while switching it to WAL, all share one store."""
    from concurrent.futures import ThreadPoolExecutor

    from feedbackiq.llm._store import LLMStore

    llm = LLM(model="m", base_url="http://127.0.0.1:9", api_key="k", cache_dir=tmp_path / "a")
    with ThreadPoolExecutor(16) as pool:
        stores = list(pool.map(lambda _: llm.store(), range(16)))
        separate = list(pool.map(lambda _: LLMStore(tmp_path / "b"), range(16)))
    assert len({id(s) for s in stores}) == 1
    separate[0].put("k", "reply", {"input_tokens": 1, "output_tokens": 1})
    assert all(s.get("k") == ("reply", {"input_tokens": 1, "output_tokens": 1}) for s in separate)


# -- failed calls are a final outcome too: stored, replayed, retried only on request --------------------------------

def test_failed_validation_is_stored_and_a_rerun_makes_zero_calls(tmp_path):
    with OpenAIServer([Reply.text("not json at all")]) as srv:
        with pytest.raises(LLMOutputError) as first:
            make_llm(srv, tmp_path).complete(MESSAGES, Name)
        n = len(srv.requests)
        llm2 = make_llm(srv, tmp_path)  # a new process would build a new client
        with pytest.raises(LLMOutputError) as again:
            llm2.complete(MESSAGES, Name)
        assert len(srv.requests) == n
    a, b = first.value, again.value
    assert (b.last_reply, b.attempts, b.usage, str(b)) == (a.last_reply, a.attempts, a.usage, str(a))
    last = llm2.store().calls()[-1]
    assert last["cache_hit"] == 1 and last["error"].startswith("cached failure") and "failed validation" in last["error"]
    assert llm2.usage(all_runs=True)["errors"] >= 2 and llm2.usage()["errors"] == llm2.usage()["cached_failures"] == 1


@pytest.mark.parametrize("fault, reason", [(Reply.http_error(500), "HTTP 500 after retries"),
                                           (Reply.rate_limited(0), "HTTP 429 after retries"),
                                           (Reply.malformed(), "malformed reply after retries"),
                                           (Reply.http_error(400, "context length exceeded"), "HTTP 400 rejected")])
def test_final_transport_failures_are_stored_with_their_reason(tmp_path, fault, reason):
    with OpenAIServer([fault]) as srv:
        with pytest.raises(LLMCallError) as first:
            make_llm(srv, tmp_path, max_retries=1).complete(MESSAGES, Name)
        n = len(srv.chat_requests)
        with pytest.raises(LLMCallError) as again:
            make_llm(srv, tmp_path, max_retries=1).complete(MESSAGES, Name)
        assert len(srv.chat_requests) == n
    assert str(again.value) == str(first.value) and again.value.reason == first.value.reason == reason


@pytest.mark.parametrize("fault", [Reply.http_error(401, "invalid api key"), Reply.http_error(404, "no such model"),
                                   Reply.dropped()])
def test_configuration_and_connection_failures_are_not_stored(tmp_path, fault):
    """A wrong key, model or URL, or a server that is not there, says nothing about the request: fixed, the
    rerun must call again (nothing was paid for)."""
    replies = [fault]
    with OpenAIServer(lambda body: replies[0]) as srv:
        with pytest.raises(LLMCallError):
            make_llm(srv, tmp_path, max_retries=0).complete(MESSAGES, Name)
        replies[0] = Reply.json({"name": "fixed", "score": 1})
        assert make_llm(srv, tmp_path, max_retries=0).complete(MESSAGES, Name).name == "fixed"


def test_budget_stop_is_not_stored(tmp_path):
    with OpenAIServer([Reply.json({"name": "later", "score": 1})]) as srv:
        with pytest.raises(BudgetExceededError):
            make_llm(srv, tmp_path, budget=Budget(max_calls=0)).complete(MESSAGES, Name)
        assert make_llm(srv, tmp_path).complete(MESSAGES, Name).name == "later"
        assert len(srv.chat_requests) == 1


def test_retry_failed_tries_a_stored_failure_again(tmp_path):
    replies = [Reply.text("not json")]
    with OpenAIServer(lambda body: replies[0]) as srv:
        with pytest.raises(LLMOutputError):
            make_llm(srv, tmp_path, validation_retries=0).complete(MESSAGES, Name)
        replies[0] = Reply.json({"name": "now valid", "score": 2})
        with pytest.raises(LLMOutputError):   # without the opt-in the stored failure stands
            make_llm(srv, tmp_path, validation_retries=0).complete(MESSAGES, Name)
        assert len(srv.chat_requests) == 1
        assert make_llm(srv, tmp_path, retry_failed=True).complete(MESSAGES, Name).name == "now valid"
        assert len(srv.chat_requests) == 2
        # the success replaced the failure: a plain rerun is served from the cache
        assert make_llm(srv, tmp_path).complete(MESSAGES, Name).name == "now valid"
        assert len(srv.chat_requests) == 2


def test_cache_from_before_failures_were_stored_still_reads(tmp_path):
    """An llm.sqlite written by an earlier version (no failure column) keeps its replies."""
    import sqlite3

    from feedbackiq.llm._store import LLMStore

    with sqlite3.connect(tmp_path / "llm.sqlite") as db:
        db.execute("CREATE TABLE cache (key TEXT PRIMARY KEY, reply TEXT, usage TEXT, created REAL)")
        db.execute("INSERT INTO cache VALUES ('k', 'old reply', '{}', 0)")
    store = LLMStore(tmp_path)
    assert store.get("k") == ("old reply", {}) and store.get_failure("k") is None
