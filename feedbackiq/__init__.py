"""feedbackiq: voice-of-customer text -> need themes, personas, market language and KPI-card evidence.

>>> import feedbackiq as fiq
>>> fs = fiq.read_feedback("datasets/samples/app_reviews.csv")   # doctest: +SKIP
>>> report = fiq.find_themes(fs)                                   # doctest: +SKIP

Heavy parts (torch, sentence-transformers, HDBSCAN, openai) load on first use, so
``import feedbackiq`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from feedbackiq._errors import *  # noqa: F403  (the error tree is part of the public API)
from feedbackiq._errors import __all__ as _error_names
from feedbackiq.types import *  # noqa: F403
from feedbackiq.types import __all__ as _type_names

__version__ = "0.1.0"

# public name -> module that defines it; imported on first attribute access
_LAZY: dict[str, str] = {
    "read_feedback": "feedbackiq.ingest",
    "write_feedback": "feedbackiq.ingest",
    "load_feedback": "feedbackiq.ingest",
    "Embedder": "feedbackiq.embed",
    "find_themes": "feedbackiq.themes",
    "ThemeClusterer": "feedbackiq.themes",
    "LLM": "feedbackiq.llm",
    "Budget": "feedbackiq.llm",
    "name_themes": "feedbackiq.llm",
    "propose_regrouping": "feedbackiq.llm",
    "draft_personas": "feedbackiq.gtm",
    "write_personas": "feedbackiq.gtm",
    "load_personas": "feedbackiq.gtm",
    "translate_features": "feedbackiq.gtm",
    "write_translations": "feedbackiq.gtm",
    "load_translations": "feedbackiq.gtm",
    "load_features": "feedbackiq.gtm",
    "load_cards": "feedbackiq.cards",
    "score_cards": "feedbackiq.cards",
    "write_scorecard": "feedbackiq.cards",
    "load_scorecard": "feedbackiq.cards",
    "Redactor": "feedbackiq._redact",
    "redact": "feedbackiq._redact",
    "run": "feedbackiq.pipeline",
    "load_run": "feedbackiq.pipeline",
    "RunConfig": "feedbackiq.pipeline",
    "load_config": "feedbackiq.pipeline",
}

__all__ = ["__version__", *_error_names, *_type_names, *_LAZY]


_SUBPACKAGES = {"ingest", "embed", "engine", "themes", "llm", "gtm", "cards", "testing", "types", "pipeline", "report"}


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"feedbackiq.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'feedbackiq' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
