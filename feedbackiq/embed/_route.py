"""Choosing the embedding model by the language of the feedback.

all-MiniLM-L6-v2 is English-only: on Chinese it clusters little better than
chance, and other languages (Russian, Spanish, German ...) fare little better.
Multilingual USE v3 (16 languages) handles them but is weaker on English. One
feedback set must be embedded into ONE space (vectors of two models cannot be
compared), so the whole set goes to USE once text that is not English makes up a
meaningful share of it. The threshold is measured by ``evals/embed_routing.py`` on
mixed Chinese/English sets and checked on a small labelled Russian/Spanish/German set
(see evals/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from feedbackiq._lang import detect_language, has_words
from feedbackiq.embed._base import Embedder
from feedbackiq.embed._cache import CachedEmbedder
from feedbackiq.embed._local import MiniLMEmbedder, USEEmbedder

__all__ = ["NON_ENGLISH_SHARE_FOR_MULTILINGUAL", "ZH_SHARE_FOR_MULTILINGUAL", "routing_languages", "EMBEDDER_NAMES", "STATIC_NAMES", "MODELS", "embedder_name_for", "choose_embedder", "default_embedder", "make_embedder"]

# Share of non-English items (among items with words) from which the multilingual model wins, judged
# by NMI within each language, item-weighted, on mixed Chinese/English sets (evals/embed_routing.py); on
# Russian, Spanish and German MiniLM clusters about as poorly as on Chinese, so the same share holds for
# any language that is not English (evals/README.md, "Embedding routing by language").
NON_ENGLISH_SHARE_FOR_MULTILINGUAL = 0.20
ZH_SHARE_FOR_MULTILINGUAL = NON_ENGLISH_SHARE_FOR_MULTILINGUAL   # the name before other languages were routed


# Short names for the local models (evals, benchmarks, command-line options).
EMBEDDER_NAMES = ("minilm", "onnx-int8", "onnx-fp32", "use")
# Also made by make_embedder but in neither table above: a static model's id carries its artefact's hash
# (unknown until it is made, and different on every machine that distils it), so no fixed id maps back
# to it, and a Ray worker could not rebuild it by name without the same artefact.
STATIC_NAMES = ("minilm-static",)
# make_embedder name -> (model_id, dim): lets a model id recorded in a report or sent to a worker be
# turned back into its embedder without loading a model (tests/test_engine_ray.py checks the table).
MODELS = {"minilm": ("all-MiniLM-L6-v2", 384), "onnx-int8": ("all-MiniLM-L6-v2-onnx-int8", 384),
          "onnx-fp32": ("all-MiniLM-L6-v2-onnx-fp32", 384), "use": ("use-multilingual-v3", 512)}


def embedder_name_for(model_id: str) -> str | None:
    """The ``make_embedder`` name of a model id, or None when it is not one of the named models.

    >>> embedder_name_for("all-MiniLM-L6-v2-onnx-int8"), embedder_name_for("openai:text-embedding-3-small")
    ('onnx-int8', None)
    """
    return next((name for name, (mid, _) in MODELS.items() if mid == model_id), None)


def make_embedder(name: str, *, cache: bool = True, path: str | os.PathLike[str] | None = None) -> Embedder:
    """A local embedder by short name: ``"minilm"`` (torch), ``"onnx-int8"`` / ``"onnx-fp32"`` (the same
    model on onnxruntime, int8 or fp32 weights; needs ``feedbackiq[fast]``), ``"use"`` (multilingual) or
    ``"minilm-static"`` (a model2vec static model distilled from MiniLM by ``evals/distill_static.py``:
    fast triage, lower quality; ``path`` names another artefact directory).

    >>> make_embedder("onnx-int8", cache=False).model_id
    'all-MiniLM-L6-v2-onnx-int8'
    """
    from feedbackiq._errors import InputError
    from feedbackiq.embed._onnx import OnnxMiniLMEmbedder
    from feedbackiq.embed._static import StaticEmbedder

    makers = {"minilm": MiniLMEmbedder, "onnx-int8": OnnxMiniLMEmbedder,
              "onnx-fp32": lambda: OnnxMiniLMEmbedder(quantize=False), "use": USEEmbedder,
              "minilm-static": lambda: StaticEmbedder(path)}
    if name not in makers:
        raise InputError(f"unknown embedder {name!r}; choose one of {', '.join((*EMBEDDER_NAMES, *STATIC_NAMES))}")
    if path is not None and name not in STATIC_NAMES:
        raise InputError(f"path= names a static model's directory; embedder {name!r} takes none")
    inner = makers[name]()
    return CachedEmbedder(inner) if cache else inner


def choose_embedder(languages: Sequence[str | None], *, cache: bool = True, threshold: float | None = None) -> Embedder:
    """The default embedder for a set with these language tags.

    Parameters
    ----------
    languages : sequence of {"zh", "en", "other", None}
        The language of every item: ``"other"`` is a language that is neither English nor Chinese;
        ``None`` an item without words (numbers, emoji), which counts for neither model
        (:func:`routing_languages` makes these from a set's items).
    cache : bool, default True
        Wrap in :class:`CachedEmbedder` so reruns embed nothing twice.
    threshold : float, optional
        Share of the items with words that are not English from which USE is used; default
        ``NON_ENGLISH_SHARE_FOR_MULTILINGUAL``.

    Examples
    --------
    >>> choose_embedder(["en"] * 95 + ["zh"] * 5, cache=False).model_id
    'all-MiniLM-L6-v2'
    >>> choose_embedder(["en"] * 50 + ["zh"] * 50, cache=False).model_id
    'use-multilingual-v3'
    >>> choose_embedder(["en"] * 70 + ["other"] * 30, cache=False).model_id
    'use-multilingual-v3'
    >>> choose_embedder(["en"] * 70 + [None] * 30, cache=False).model_id
    'all-MiniLM-L6-v2'
    """
    limit = NON_ENGLISH_SHARE_FOR_MULTILINGUAL if threshold is None else threshold
    worded = [lang for lang in languages if lang is not None]
    non_english = sum(lang != "en" for lang in worded) / len(worded) if worded else 0.0
    inner: Embedder = USEEmbedder() if non_english >= limit else MiniLMEmbedder()
    return CachedEmbedder(inner) if cache else inner


def routing_languages(items) -> list[str | None]:
    """Each item's language for :func:`choose_embedder`: its tag, except that an item tagged ``"other"``
    is looked at again, because the tag is also the default of items built without one and of texts
    without words: ``None`` when it has no words, else what :func:`detect_language` says (once per distinct text)."""
    looked_at: dict[str, str | None] = {}

    def again(text: str) -> str | None:
        if text not in looked_at:
            looked_at[text] = detect_language(text) if has_words(text) else None
        return looked_at[text]

    return [it.language if it.language != "other" else again(it.text) for it in items]


def default_embedder(feedback_set, *, cache: bool = True) -> Embedder:
    """:func:`choose_embedder` for a :class:`~feedbackiq.FeedbackSet`."""
    return choose_embedder(routing_languages(feedback_set.items), cache=cache)
