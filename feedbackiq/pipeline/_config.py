"""The run configuration: everything a batch user sets once, in one TOML file.

Unknown keys are errors (a typo such as ``min_cluster_sise`` must not be ignored
silently), and every error names the file and the key path.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from feedbackiq._errors import ConfigError

__all__ = ["RunConfig", "load_config", "EXAMPLE_CONFIG"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestConfig(_Section):
    source: str | None = None        # survey | review | sales_note | support_ticket | other (default: detect)
    layout: str | None = None        # survey_wide | review | sales_note | long (default: detect)
    encoding: str | None = None      # default: detect (UTF-8, UTF-8-BOM, GBK/GB18030)
    sheet: str | None = None         # XLSX sheet (default: the first)
    columns: dict[str, str | list[str]] = Field(default_factory=dict)  # role -> column header(s)
    # Segment columns and values across languages, beyond the built-in synonyms: header -> segment name,
    # and segment name -> {value as written: value to count it as}.
    segment_names: dict[str, str] = Field(default_factory=dict)
    segment_values: dict[str, dict[str, str]] = Field(default_factory=dict)


class ThemesConfig(_Section):
    seed: int = 0
    min_cluster_size: int | None = Field(default=None, ge=2)
    subthemes: bool = True
    n_needs: int | None = Field(default=None, ge=1)       # default: the number of needs is found
    min_need_share: float | None = Field(default=0.01, ge=0, lt=1)
    overrides: Path | None = None    # needs.yaml: a team's splits, moves, merges and renames of the need tree
    embedding_model: str = "auto"    # auto | minilm | onnx-int8 | onnx-fp32 | use | a sentence-transformers path
    # Where the per-row work (embedding; the assignment of rows outside the fitted sample) runs:
    # feedbackiq.engine.ENGINES. Kept out of every checkpoint key: an engine must not change results
    # (tests/test_engine_ray.py checks it), so a run embedded locally resumes on Ray and back.
    engine: Literal["local", "ray"] = "local"
    ray_address: str | None = None   # with engine = "ray": ray://head:10001 | head:6379 | auto (default $RAY_ADDRESS, else a local Ray)

    @field_validator("ray_address")
    @classmethod
    def _ray_address(cls, value: str | None) -> str | None:
        if value is not None and not _RAY_ADDRESS.fullmatch(value):
            raise ValueError(f'{value!r} is not "auto", "local", "HOST:PORT" or "ray://HOST:PORT"')
        return value


# What ray.init(address=...) takes: "auto" / "local", a GCS address "host:port", or a Ray Client "ray://host:port".
_RAY_ADDRESS = re.compile(r"auto|local|(ray://)?[A-Za-z0-9_.\-]+:\d{1,5}")


class LLMConfig(_Section):
    model: str | None = None         # default $FEEDBACKIQ_LLM_MODEL
    base_url: str | None = None      # default $OPENAI_BASE_URL
    api_key_env: str = "OPENAI_API_KEY"  # the environment variable holding the key (never the key itself)
    azure_endpoint: str | None = None
    api_version: str | None = None
    max_calls: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    max_cost: float | None = Field(default=None, ge=0)
    cost_per_1k_input: float | None = Field(default=None, ge=0)
    cost_per_1k_output: float | None = Field(default=None, ge=0)
    # Sized for where the model runs (feedbackiq.llm._client.DEFAULTS): a base_url on this machine (a local
    # CPU model) streams, waits up to 600 s for each token and sends one call at a time; a remote API 60 s, 4.
    max_concurrency: int | None = Field(default=None, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    stream: bool | None = None
    context_tokens: int = Field(default=8192, ge=1024)  # the model's context window (prompts are sized to fit)
    max_reply_tokens: int = Field(default=1024, ge=128)  # the most tokens one reply may take (a looping model stops)
    # A call that failed for good is stored like a reply and not paid for again; True sends such calls again.
    retry_failed: bool = False
    # A run where every LLM call failed exits with status 3 (LLMAllFailedError); True accepts it (exit 0).
    best_effort: bool = False
    name_themes: bool = False        # also name every theme (one call per theme); needs are always named
    # One call proposes a regrouping of the themes into needs; a change is kept only where the embeddings agree.
    regroup_needs: bool = False


class OutputConfig(_Section):
    language: Literal["same", "en", "zh"] = "same"  # language of LLM-written text
    privacy_threshold: int = Field(default=3, ge=1)  # themes voiced by fewer respondents never go to the LLM
    redact: bool = True                              # strip emails, phones, ids ... before anything is sent
    title: str = "feedbackiq report"
    # Deal values: the currency of amounts that name none, and of every total; an amount in another
    # currency (ingest keeps "$", "¥", "万" ...) is converted at rates[code] or shown apart, never added in.
    currency: str | None = None
    rates: dict[str, float] = Field(default_factory=dict)   # {CNY = 0.14}: one CNY in `currency`

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Z]{3}", value):
            raise ValueError(f"{value!r} is not a three-letter currency code such as USD or CNY")
        return value

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not re.fullmatch(r"[A-Z]{3}", k) or not v > 0]
        if bad:
            raise ValueError(f"rates need three-letter codes and positive numbers: {', '.join(bad)}")
        return value


class PersonasConfig(_Section):
    # "auto": by the needs they voice when that finds distinct groups (gtm.why_not_distinct), else by segment;
    # a segment column; "segment" to pick one; or "none" (by the needs they voice)
    by: str | None = "auto"
    min_respondents: int = Field(default=5, ge=1)


class FilesConfig(_Section):
    features: Path | None = None     # features.yaml for the market-language step
    cards: Path | None = None        # cards.yaml for the KPI-card scores
    as_of: date | None = None        # the date card phases are judged at (default: today)


class RunConfig(_Section):
    """Everything ``feedbackiq run`` / :func:`feedbackiq.run` can be told, with defaults.

    Examples
    --------
    >>> cfg = RunConfig.model_validate({"themes": {"seed": 3}, "personas": {"by": "company_size"}})
    >>> cfg.themes.seed, cfg.personas.by, cfg.llm.model is None
    (3, 'company_size', True)
    """

    ingest: IngestConfig = Field(default_factory=IngestConfig)
    themes: ThemesConfig = Field(default_factory=ThemesConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    personas: PersonasConfig = Field(default_factory=PersonasConfig)
    files: FilesConfig = Field(default_factory=FilesConfig)

    def with_overrides(self, overrides: dict[str, dict[str, Any]]) -> "RunConfig":
        """A copy with ``{section: {key: value}}`` applied; ``None`` values are ignored (not given)."""
        data = self.model_dump()
        for section, values in overrides.items():
            data[section].update({k: v for k, v in values.items() if v is not None})
        return _validate(data, "command-line options")


def _validate(data: dict[str, Any], where: str) -> RunConfig:
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            key = ".".join(str(p) for p in e["loc"])
            msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
            problems.append(f"{key}: {msg}")
        raise ConfigError(f"{where}: " + "; ".join(problems)) from None


def load_config(path: str | Path | None) -> RunConfig:
    """Read a TOML run configuration (``None``: all defaults).

    Relative paths (``files``, ``themes.overrides``) are taken relative to the config file, so a
    config can travel with its cards, features and need override files.
    """
    if path is None:
        return RunConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    cfg = _validate(data, str(path))
    for section, key in (("files", "features"), ("files", "cards"), ("themes", "overrides")):
        value = getattr(getattr(cfg, section), key)
        if value is not None and not value.is_absolute():
            setattr(getattr(cfg, section), key, (path.parent / value))
    return cfg


EXAMPLE_CONFIG = """\
# feedbackiq.toml: settings for `feedbackiq run EXPORTS... --config feedbackiq.toml`
[ingest]
# source = "survey"          # default: detected per file
# sheet = "Responses"        # XLSX sheet to read (default: the first)
[ingest.columns]             # role = "column header" when detection is not enough
# text = "Comment"
# segments = ["plan", "region"]
[ingest.segment_names]       # column header = segment name, beyond the built-in synonyms (公司规模, 行业, 套餐, Tier ...)
# "客户等级" = "plan"
[ingest.segment_values.plan] # value as written = value to count it as (built in: size bands, Chinese industries and plans)
# "旗舰版" = "Enterprise"

[themes]
seed = 0
# min_cluster_size = 10      # default scales with the number of items
# n_needs = 10               # default: the number of needs is found from the data
min_need_share = 0.01        # a smaller group of themes joins the need it is closest to
# overrides = "needs.yaml"   # your splits, moves, merges and renames of the need tree, kept across reruns
embedding_model = "auto"     # auto (by language) | minilm | onnx-int8 (2x faster, feedbackiq[fast]) | use | a model folder
engine = "local"             # local | ray: embedding and assignment on a Ray cluster (feedbackiq[ray]); same results
# ray_address = "ray://head:10001"   # with engine = "ray"; default $RAY_ADDRESS, else a local Ray

[llm]                         # optional: without a model the LLM-written parts are skipped
# model = "gpt-4o-mini"
# base_url = "http://localhost:11434/v1"
max_calls = 300
# timeout = 600              # seconds the server may stay silent (streamed: per token; else the whole reply);
#                            # default 600 for a base_url on this machine (a slow local model), else 60
# max_concurrency = 1        # calls in flight; default 1 for a base_url on this machine, else 4
# stream = true              # stream replies; default on for a base_url on this machine, else off
context_tokens = 8192        # the model's context window: prompts are kept within it (llama-server -c)
max_reply_tokens = 1024      # the most tokens one reply may take: a small model that loops stops there
retry_failed = false         # true: send again the calls that failed before (failures are stored, a rerun costs nothing)
best_effort = false          # true: exit 0 even when every LLM call of the run failed (default: status 3)
name_themes = false          # true: name every theme too (one call per theme); each need is named either way
regroup_needs = false        # true: one call proposes regrouping the themes into needs; kept where the embeddings agree

[output]
language = "same"            # same | en | zh
privacy_threshold = 3
# currency = "USD"           # deal amounts that name no currency are in it, and every total is (default: not stated)
# rates = { CNY = 0.14 }     # one CNY in USD; amounts in a currency without a rate are shown apart, never added in

[personas]
by = "auto"                  # auto: by the needs they voice when the groups are distinct, else by segment | company_size | segment | none

[files]
# features = "features.yaml"
# cards = "cards.yaml"
"""
