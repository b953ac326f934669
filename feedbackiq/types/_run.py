"""Batch runs: stage records and the run manifest."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from feedbackiq.types._base import _Model

__all__ = ["InputFile", "RunManifest", "StageRecord"]



class StageRecord(_Model):
    """One stage of a run: what happened, how long it took, and the key its checkpoint is stored under."""

    stage: str
    status: Literal["done", "reused", "skipped"]
    key: str | None = None          # sha256 of upstream keys + parameters + model ids + prompt versions
    seconds: float = 0.0
    detail: str = ""                # e.g. why it was skipped, or counts


class InputFile(_Model):
    """One input file as the run saw it, with the ingest ledger's row counts."""

    path: str
    sha256: str
    bytes: int
    rows: int = 0
    rows_used: int = 0
    rows_skipped: int = 0
    items: int = 0
    skipped: str | None = None      # why a file found in an input folder was not read (ledger.skipped_files)


class RunManifest(_Model):
    """What a run was made from and what it cost: versions, parameters, inputs, LLM usage, timings."""

    feedbackiq_version: str
    python: str
    packages: dict[str, str] = Field(default_factory=dict)
    started_at: datetime
    finished_at: datetime | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    inputs: list[InputFile] = Field(default_factory=list)
    items: int = 0
    model_ids: dict[str, str] = Field(default_factory=dict)
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    # This run's model, calls, cache_hits, tokens, errors, cost; folder_total: the call log of every run in the folder.
    llm: dict[str, Any] = Field(default_factory=dict)
    # The LLM's claims and the outputs that came from the offline path: per step and in total
    # ({"by_step": {step: {...}}, "total": {...}}, each with claims, claims_kept, claims_dropped, outputs, fallbacks).
    claims: dict[str, Any] = Field(default_factory=dict)
    stages: list[StageRecord] = Field(default_factory=list)
    outputs: dict[str, str] = Field(default_factory=dict)  # name -> path relative to the run folder
