"""The one LLM client: any OpenAI-compatible endpoint, structured outputs, retries, cache, log, budget.

Endpoints (base URLs) known to work with the official ``openai`` package:

==================  ==============================================================
OpenAI              (default) ``https://api.openai.com/v1``
Azure OpenAI        ``LLM(azure_endpoint=..., api_version=..., model=<deployment>)``
DeepSeek            ``https://api.deepseek.com/v1``
Qwen / DashScope    ``https://dashscope.aliyuncs.com/compatible-mode/v1``
Ollama              ``http://localhost:11434/v1`` (any api_key)
vLLM                ``http://HOST:8000/v1``
llama.cpp server    ``http://HOST:8080/v1`` (``make local-llm``: README, "Local model")
==================  ==============================================================

Sized for the endpoint: an endpoint on this machine (``localhost``, ``127.x``, ``::1``)
is taken to be a local model on a CPU, which answers one request at a time and
slowly: by default its replies are streamed, the timeout is how long the server
may stay silent (to the first token, then between tokens) rather than how long the
whole reply may take, and calls go one at a time. A remote API gets a whole-reply
timeout of 60 s and 4 calls in flight. Each of these is a setting (:data:`DEFAULTS`).

Structured outputs: ``response_format`` ``json_schema`` first; a server that
rejects it (HTTP 400 naming response_format/json_schema) gets ``json_object``
with the schema in the prompt, then plain text parsed as JSON. The working mode
is remembered per client. A reply that fails validation goes back to the model
with the error, at most ``validation_retries`` times, then :class:`LLMOutputError`
carries the last reply, the attempts and the token usage.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from pydantic import BaseModel, ValidationError

from feedbackiq._errors import BudgetExceededError, LLMCallError, LLMError, LLMNotConfiguredError, LLMOutputError
from feedbackiq._paths import default_cache_dir
from feedbackiq.llm._budget import Budget
from feedbackiq.llm._context import REPLY_TOKENS, estimate_messages
from feedbackiq.llm._prompts import Prompt, load_prompt
from feedbackiq.llm._store import LLMStore, cache_key

__all__ = ["LLM", "HOW_TO_CONFIGURE", "no_llm_hint", "parse_json_reply", "is_local_url", "DEFAULTS"]

T = TypeVar("T", bound=BaseModel)
HOW_TO_CONFIGURE = ("no LLM configured: set FEEDBACKIQ_LLM_MODEL (and OPENAI_API_KEY / OPENAI_BASE_URL for "
                    "OpenAI-compatible servers such as Ollama or vLLM), or pass --llm MODEL; LLM steps are skipped")


def no_llm_hint(step: str) -> str:
    """The one line an LLM-only step logs when called with ``llm=None`` (steps never read the environment)."""
    return (f"{step}: no LLM given, skipped; pass llm=fiq.LLM.from_env() (reads FEEDBACKIQ_LLM_MODEL, "
            "OPENAI_API_KEY / OPENAI_BASE_URL) or fiq.LLM(model=..., base_url=...)")


_MODES = ("json_schema", "json_object", "plain")
_FENCE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


# Defaults by where the model runs. A CPU model on this machine (llama.cpp, Ollama) writes a few tokens a
# second and serves one request at a time: a reply of several hundred tokens takes minutes, and parallel
# requests only queue (or split the same cores) while each waits against its own timeout.
DEFAULTS = {
    "local": {"timeout": 600.0, "max_concurrency": 1, "stream": True},
    "remote": {"timeout": 60.0, "max_concurrency": 4, "stream": False},
}
_USAGE_KEYS = ("calls", "cache_hits", "input_tokens", "output_tokens", "errors", "cached_failures")
TIMEOUT_HINT = ("raise [llm] timeout in the config (feedbackiq run --llm-timeout SECONDS), then rerun with "
                "--retry-failed (a failed call is stored and not sent again otherwise)")


def is_local_url(url: str | None) -> bool:
    """Whether an endpoint runs on this machine (loopback host): such a model gets the local defaults.

    >>> is_local_url("http://127.0.0.1:8080/v1"), is_local_url("http://localhost:11434/v1")
    (True, True)
    >>> is_local_url("https://api.openai.com/v1"), is_local_url(None)
    (False, False)
    """
    if not url:
        return False
    host = (urlparse(url).hostname or "").lower()
    return host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.") or host.endswith(".localhost")


def parse_json_reply(text: str) -> Any:
    """The JSON object in a reply: the whole text, a fenced ```json block, or the first {...} span."""
    text = (text or "").strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    m = _FENCE.search(text)
    if m:
        return json.loads(m.group(1))
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        return json.loads(text[start : end + 1])
    raise json.JSONDecodeError("no JSON object in the reply", text, 0)


# A wrong key, no permission, or a model / deployment / URL that does not exist: fixed, the same call works,
# so such a rejection is not the call's outcome and is not stored.
_CONFIGURATION_STATUSES = {401, 403, 404}


def _transport_failure(exc: Exception) -> tuple[bool, str, bool]:
    """What a failed request was: (retry it, a short reason, a final outcome of this request to store)."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return True, "timeout", True
    if isinstance(exc, openai.APIConnectionError):  # nothing reached the model: nothing was paid, nothing to store
        return True, "connection failed", False
    if isinstance(exc, openai.APIStatusError):
        code = exc.status_code
        if code == 429 or code >= 500:
            return True, f"HTTP {code}", True
        return False, f"HTTP {code} rejected", code not in _CONFIGURATION_STATUSES
    return True, "malformed reply", True  # a body that is not a chat completion, and other protocol errors


def _stored_error(failure: dict[str, Any]) -> LLMError:
    """The error a stored failure was raised as, rebuilt with the same message and details."""
    if failure.get("kind") == "output":
        return LLMOutputError(failure["message"], last_reply=failure.get("last_reply", ""),
                              attempts=failure.get("attempts", 0), usage=failure.get("usage") or {})
    return LLMCallError(failure["message"], reason=failure.get("reason", "call failed"))


class LLM:
    """An OpenAI-compatible chat model used for structured outputs.

    Parameters
    ----------
    model, base_url, api_key : str, optional
        Default from ``FEEDBACKIQ_LLM_MODEL``, ``OPENAI_BASE_URL``, ``OPENAI_API_KEY``.
    timeout : float, optional
        Seconds the server may stay silent. Streamed: to the first token and between tokens, so a reply
        still being written is never cut off. Not streamed: the whole reply. Default 600 for an endpoint
        on this machine, else 60 (:data:`DEFAULTS`). A call that times out names this setting.
    max_retries : int, default 4
        Transport retries on timeouts, connection errors, 429 and 5xx (exponential backoff with jitter,
        ``Retry-After`` honoured up to ``max_backoff``).
    validation_retries : int, default 2
    backoff, max_backoff : float
    max_concurrency : int, optional
        Parallel calls in :meth:`map`. Default 1 for an endpoint on this machine, else 4.
    stream : bool, optional
        Stream replies (tokens as they are written). Default on for an endpoint on this machine, else off;
        a server that refuses streaming is asked again without it.
    context_tokens : int, default 8192
        The model's context window in tokens: prompts are sized to fit it (:mod:`feedbackiq.llm._context`).
    max_reply_tokens : int, default 1024
        The most tokens one reply may take (sent as ``max_tokens``; ``max_completion_tokens`` to a server
        that asks for it). A small model that falls into a loop stops there instead of writing for an hour;
        a reply cut off is sent back once with a request to be shorter. Prompts leave this much room.
    temperature : float, default 0
    cache_dir : path, optional
        Where ``llm.sqlite`` (reply cache + call log) lives; default ``$FEEDBACKIQ_CACHE_DIR`` or ``~/.cache/feedbackiq``.
    budget : Budget, optional
    azure_endpoint, api_version : str, optional
        Use Azure OpenAI (``model`` is the deployment name).
    retry_failed : bool, default False
        A call's final failure (invalid output after the validation retries, a rejected request,
        transport retries used up) is stored like a reply, and the same call raises the same error
        again without a request. With ``True`` such calls are sent again (a success replaces the failure).
    progress : callable, optional
        ``progress(event, n)``: ``("queued", n)`` when :meth:`map` starts ``n`` calls, ``("done", 1)`` as each
        ends (succeeded or not). The run sets it to draw calls done and an ETA per LLM stage.

    Examples
    --------
    >>> from feedbackiq.testing import OpenAIServer, Reply
    >>> from pydantic import BaseModel
    >>> class Name(BaseModel):
    ...     name: str
    >>> with OpenAIServer([Reply.json({"name": "Longer battery life"})]) as srv:    # doctest: +SKIP
    ...     llm = LLM(model="m", base_url=srv.base_url, api_key="x", cache_dir="/tmp/c")
    ...     llm.complete([{"role": "user", "content": "hi"}], Name).name
    'Longer battery life'
    """

    def __init__(self, model: str | None = None, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | None = None, max_retries: int = 4, validation_retries: int = 2, backoff: float = 0.5,
                 max_backoff: float = 30.0, max_concurrency: int | None = None, temperature: float = 0.0,
                 cache_dir: str | os.PathLike[str] | None = None, budget: Budget | None = None,
                 azure_endpoint: str | None = None, api_version: str | None = None, retry_failed: bool = False,
                 stream: bool | None = None, context_tokens: int = 8192, max_reply_tokens: int = REPLY_TOKENS,
                 progress: Callable[[str, int], None] | None = None) -> None:
        self.model = model or os.environ.get("FEEDBACKIQ_LLM_MODEL")
        self.base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY") or os.environ.get("AZURE_OPENAI_API_KEY")
        self.local = not azure_endpoint and is_local_url(self.base_url)
        where = DEFAULTS["local" if self.local else "remote"]
        self.timeout = float(timeout) if timeout is not None else where["timeout"]
        self.max_retries = max_retries
        self.validation_retries = validation_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_concurrency = int(max_concurrency) if max_concurrency is not None else where["max_concurrency"]
        self.stream = bool(stream) if stream is not None else where["stream"]
        self.context_tokens = context_tokens
        self.max_reply_tokens = max_reply_tokens
        self._max_key = "max_tokens"
        self.progress = progress
        self.temperature = temperature
        self.cache_dir = cache_dir
        self.budget = budget or Budget()
        self.azure_endpoint = azure_endpoint
        self.api_version = api_version
        self.retry_failed = retry_failed
        self.mode = "json_schema"
        self._client = None
        self._store: LLMStore | None = None
        self._lock = threading.Lock()
        self._store_lock = threading.Lock()  # map() threads all ask for the store on their first call
        # The calls this object logged (one run's); the call log in the cache folder holds every run's.
        self._mine = dict.fromkeys(_USAGE_KEYS, 0)

    @classmethod
    def from_env(cls, **overrides: Any) -> "LLM | None":
        """An LLM when one is configured (by arguments or environment), else ``None``."""
        llm = cls(**overrides)
        return llm if llm.configured() else None

    def configured(self) -> bool:
        return bool(self.model) and bool(self.base_url or self.api_key or self.azure_endpoint)

    def __repr__(self) -> str:
        return f"LLM(model={self.model!r}, base_url={self.base_url!r})"

    def settings(self) -> dict[str, Any]:
        """The sizing in force (after the local / remote defaults), for the console and the manifest."""
        return {"local": self.local, "timeout": self.timeout, "max_concurrency": self.max_concurrency,
                "stream": self.stream, "context_tokens": self.context_tokens, "max_reply_tokens": self.max_reply_tokens}

    # -- plumbing -------------------------------------------------------------------------------
    def store(self) -> LLMStore:
        with self._store_lock:
            if self._store is None:
                self._store = LLMStore(Path(self.cache_dir) if self.cache_dir else default_cache_dir())
        return self._store

    def _openai(self):
        if not self.configured():
            raise LLMNotConfiguredError(HOW_TO_CONFIGURE)
        if self._client is None:
            import openai

            if self.azure_endpoint:
                self._client = openai.AzureOpenAI(azure_endpoint=self.azure_endpoint, api_version=self.api_version,
                                                  api_key=self.api_key, timeout=self.timeout, max_retries=0)
            else:
                # Local servers (Ollama, vLLM) ignore the key, but the client insists on one.
                self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key or "not-needed",
                                             timeout=self.timeout, max_retries=0)
        return self._client

    def usage(self, *, all_runs: bool = False) -> dict[str, Any]:
        """Calls, cache hits, tokens and errors of the calls this object made (a run's, as a run makes one
        LLM), with the cost it spent; ``all_runs``: of the whole call log in its cache folder (every run
        that used it), without a cost."""
        if not all_runs:
            with self._lock:
                return {**self._mine, "cost": round(self.budget.cost, 6)}
        calls = self.store().calls()
        return {"calls": len(calls), "cache_hits": sum(c["cache_hit"] for c in calls),
                "input_tokens": sum(c["input_tokens"] for c in calls), "output_tokens": sum(c["output_tokens"] for c in calls),
                "errors": sum(1 for c in calls if c["error"]),
                "cached_failures": sum(1 for c in calls if c["cache_hit"] and c["error"])}

    def prompt_tokens(self, prompt: Prompt | str, variables: dict[str, Any], output_model: type[BaseModel]) -> int:
        """The input tokens one call of ``prompt`` would send, estimated before it is made: the system prompt
        and the user message as rendered (with the reply's schema when this server takes it in the prompt),
        counted as a tokenizer does (:func:`~feedbackiq.llm._context.estimate_tokens`: a token per Chinese
        character, not four characters a token)."""
        p = load_prompt(prompt) if isinstance(prompt, str) else prompt
        return estimate_messages(self._with_schema(p.render(**variables), output_model.model_json_schema(), self.mode))

    # -- one structured call ----------------------------------------------------------------------
    def generate(self, prompt: Prompt | str, variables: dict[str, Any], output_model: type[T], *,
                 check: Callable[[T], None] | None = None, validation_retries: int | None = None) -> T:
        """Render ``prompt`` with ``variables`` and return a validated ``output_model``.

        ``check`` may raise ``ValueError`` for semantic problems (e.g. citations); they are
        retried like schema errors.
        """
        p = load_prompt(prompt) if isinstance(prompt, str) else prompt
        return self.complete(p.render(**variables), output_model, check=check, prompt_name=p.name,
                             prompt_version=p.version, validation_retries=validation_retries)

    def complete(self, messages: list[dict[str, str]], output_model: type[T], *, check: Callable[[T], None] | None = None,
                 prompt_name: str = "adhoc", prompt_version: str = "0", validation_retries: int | None = None) -> T:
        schema = output_model.model_json_schema()
        key = cache_key(model=self.model, prompt=prompt_name, version=prompt_version, messages=messages,
                        schema=schema, temperature=self.temperature)
        cached = self.store().get(key)
        if cached is not None:
            obj = output_model.model_validate(parse_json_reply(cached[0]))
            self._log_cached(prompt_name, prompt_version, None)
            return obj
        failed = None if self.retry_failed else self.store().get_failure(key)
        if failed is not None:  # this exact call failed before: the same error, at no cost
            exc = _stored_error(failed)
            self._log_cached(prompt_name, prompt_version, f"cached failure: {type(exc).__name__}: {exc}")
            raise exc
        retries = self.validation_retries if validation_retries is None else validation_retries
        convo = list(messages)
        usage = {"input_tokens": 0, "output_tokens": 0}
        last_reply, error, attempts, t0 = "", "", 0, time.perf_counter()
        try:
            for attempts in range(1, retries + 2):
                last_reply, finish = self._chat(convo, output_model, schema, usage)
                try:
                    obj = output_model.model_validate(parse_json_reply(last_reply))
                    if check is not None:
                        check(obj)
                except (ValidationError, json.JSONDecodeError, ValueError) as exc:
                    error = str(exc)
                    if finish == "length":
                        error = (f"the reply was cut off at {self.max_reply_tokens} tokens ([llm] max_reply_tokens): "
                                 f"write a shorter reply. {error}")
                    convo = convo + [{"role": "assistant", "content": last_reply},
                                     {"role": "user", "content": f"Your reply was invalid:\n{error}\n"
                                      "Reply again with one JSON object that fixes this and matches the schema."}]
                    continue
                self.store().put(key, last_reply, usage)
                self._log(prompt_name, prompt_version, usage, t0, attempts, None)
                return obj
        except Exception as exc:
            self._log(prompt_name, prompt_version, usage, t0, attempts, f"{type(exc).__name__}: {exc}")
            if isinstance(exc, LLMCallError) and exc.final:
                self.store().put_failure(key, {"kind": "call", "message": str(exc), "reason": exc.reason,
                                               "attempts": attempts, "usage": usage})
            raise
        self._log(prompt_name, prompt_version, usage, t0, attempts, f"invalid output: {error[:500]}")
        message = f"{prompt_name}: the model's reply failed validation {attempts} times: {error[:500]}"
        self.store().put_failure(key, {"kind": "output", "message": message, "last_reply": last_reply,
                                       "attempts": attempts, "usage": usage})
        raise LLMOutputError(message, last_reply=last_reply, attempts=attempts, usage=usage)

    def _log(self, prompt: str, version: str, usage: dict, t0: float, attempts: int, error: str | None) -> None:
        self._count(usage["input_tokens"], usage["output_tokens"], cache_hit=False, error=error)
        self.store().log(prompt=prompt, version=version, model=self.model or "", input_tokens=usage["input_tokens"],
                         output_tokens=usage["output_tokens"], latency_ms=1000 * (time.perf_counter() - t0),
                         cache_hit=False, attempts=attempts, error=error)

    def _log_cached(self, prompt: str, version: str, error: str | None) -> None:
        self._count(0, 0, cache_hit=True, error=error)
        self.store().log(prompt=prompt, version=version, model=self.model or "", input_tokens=0, output_tokens=0,
                         latency_ms=0.0, cache_hit=True, attempts=0, error=error)

    def _count(self, input_tokens: int, output_tokens: int, *, cache_hit: bool, error: str | None) -> None:
        """One logged call in this object's own counts (:meth:`usage`), as the call log counts it."""
        with self._lock:
            m = self._mine
            m["calls"] += 1
            m["cache_hits"] += cache_hit
            m["input_tokens"] += input_tokens
            m["output_tokens"] += output_tokens
            m["errors"] += bool(error)
            m["cached_failures"] += bool(cache_hit and error)

    def _chat(self, messages: list[dict[str, str]], output_model: type[BaseModel], schema: dict,
              usage: dict) -> tuple[str, str | None]:
        """One completion, with transport retries and the structured-output fallback chain: its text and why it
        ended (``"length"``: cut off at ``max_reply_tokens``)."""
        import openai

        client = self._openai()
        attempt = 0
        while True:
            mode, stream = self.mode, self.stream
            kwargs: dict[str, Any] = {"model": self.model, "messages": self._with_schema(messages, schema, mode),
                                      "temperature": self.temperature, self._max_key: self.max_reply_tokens}
            if mode == "json_schema":
                kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": output_model.__name__, "schema": schema, "strict": False}}
            elif mode == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
            if stream:
                kwargs.update(stream=True, stream_options={"include_usage": True})
            self.budget.reserve()
            try:
                text, tin, tout, finish = self._request(client, kwargs)
            except openai.BadRequestError as exc:
                if self._max_key == "max_tokens" and "max_completion_tokens" in str(exc):
                    with self._lock:  # newer OpenAI models take the cap under its new name
                        self._max_key = "max_completion_tokens"
                    continue
                if stream and re.search(r"stream", str(exc), re.I) and not re.search(r"response_format|json", str(exc), re.I):
                    with self._lock:  # this server does not stream: ask again whole, remember it
                        self.stream = False
                    continue
                if mode != "plain" and re.search(r"response_format|json_schema|json_object", str(exc), re.I):
                    with self._lock:  # this server does not support the mode: step down, remember it
                        if self.mode == mode:
                            self.mode = _MODES[_MODES.index(mode) + 1]
                    continue
                raise LLMCallError(f"the LLM endpoint rejected the request: {exc}", reason="HTTP 400 rejected") from None
            except (openai.APIError, json.JSONDecodeError) as exc:
                retry, reason, final = _transport_failure(exc)
                if not retry:
                    raise LLMCallError(f"LLM call failed: {reason}: {exc}", reason=reason, final=final) from None
                attempt += 1
                if attempt > self.max_retries:
                    raise LLMCallError(f"LLM call failed after {attempt} attempts: {self._describe(exc, reason)}",
                                       reason=f"{reason} after retries", final=final) from None
                time.sleep(self._delay(attempt, exc))
                continue
            usage["input_tokens"] += tin
            usage["output_tokens"] += tout
            self.budget.record(tin, tout)
            return text, finish

    def _request(self, client: Any, kwargs: dict[str, Any]) -> tuple[str, int, int, str | None]:
        """Send one request: the reply's text, its (input, output) tokens and why it ended (``"length"``: cut
        off at ``max_reply_tokens``). A streamed reply is read chunk by chunk, so the timeout bounds each
        silence, not the whole reply."""
        resp = client.chat.completions.create(**kwargs)
        if not kwargs.get("stream"):
            u = getattr(resp, "usage", None)
            tin, tout = (u.prompt_tokens or 0, u.completion_tokens or 0) if u else (0, 0)
            return resp.choices[0].message.content or "", tin, tout, resp.choices[0].finish_reason
        parts: list[str] = []
        finish = None
        tin = tout = chunks = 0
        for chunk in resp:
            chunks += 1
            if getattr(chunk, "usage", None):
                tin, tout = chunk.usage.prompt_tokens or 0, chunk.usage.completion_tokens or 0
            for choice in chunk.choices or []:
                if choice.delta is not None and choice.delta.content:
                    parts.append(choice.delta.content)
                finish = getattr(choice, "finish_reason", None) or finish
        if not chunks:  # a body that is not an event stream (or an empty one): nothing was read
            raise json.JSONDecodeError("no chunk in the streamed reply", "", 0)
        text = "".join(parts)
        if not tout and text:  # a server that does not report usage on streams: counted roughly, never as free
            from feedbackiq.llm._context import estimate_tokens

            tin = tin or sum(estimate_tokens(m.get("content") or "") for m in kwargs["messages"])
            tout = estimate_tokens(text)
        return text, tin, tout, finish

    def _describe(self, exc: Exception, reason: str) -> str:
        """What went wrong, and for a timeout which setting to raise."""
        if reason != "timeout":
            return f"{type(exc).__name__}: {exc}"
        silence = ("the server sent no token for" if self.stream else "no reply within")
        return f"timeout: {silence} {self.timeout:g} s ([llm] timeout); {TIMEOUT_HINT}"

    @staticmethod
    def _with_schema(messages: list[dict[str, str]], schema: dict, mode: str) -> list[dict[str, str]]:
        if mode == "json_schema":
            return messages
        note = "\nReply with JSON only, matching this JSON schema:\n" + json.dumps(schema, ensure_ascii=False)
        return [{**messages[0], "content": messages[0]["content"] + note}, *messages[1:]]

    def _delay(self, attempt: int, exc: Exception) -> float:
        retry_after = None
        response = getattr(exc, "response", None)
        if response is not None:
            try:
                retry_after = float(response.headers.get("retry-after"))
            except (TypeError, ValueError):
                retry_after = None
        if retry_after is not None:
            return min(retry_after, self.max_backoff)
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff) * (0.5 + random.random() / 2)

    # -- many calls -------------------------------------------------------------------------------
    def map(self, fn: Callable[[Any], T], inputs: Sequence[Any]) -> tuple[list[T | None], list[tuple[int, Exception]]]:
        """Run ``fn`` over ``inputs`` with at most ``max_concurrency`` in flight.

        Returns results in input order (``None`` where it failed) and the failures. A reached
        budget stops new calls; everything finished before is kept.
        """
        results: list[T | None] = [None] * len(inputs)
        failures: list[tuple[int, Exception]] = []
        stop = threading.Event()

        progress = self.progress or (lambda event, n: None)

        def run(i: int) -> None:
            if stop.is_set():
                failures.append((i, BudgetExceededError("not run: the budget was reached")))
                progress("done", 1)
                return
            try:
                results[i] = fn(inputs[i])
            except BudgetExceededError as exc:
                stop.set()
                failures.append((i, exc))
            except Exception as exc:  # one item's failure must not lose the others
                failures.append((i, exc))
            progress("done", 1)

        progress("queued", len(inputs))
        with ThreadPoolExecutor(max_workers=max(1, self.max_concurrency)) as pool:
            list(pool.map(run, range(len(inputs))))
        return results, sorted(failures, key=lambda f: f[0])
