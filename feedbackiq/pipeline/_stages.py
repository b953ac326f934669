"""The steps of a batch run, each a plain function over pydantic models.

The runner (``_run.py``) only chains these, computes their checkpoint keys and
reports progress; none of them knows about checkpoints or the run folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from feedbackiq._errors import ConfigError
from feedbackiq.embed import Embedder
from feedbackiq.pipeline._config import LLMConfig, OutputConfig, PersonasConfig, RunConfig, ThemesConfig
from feedbackiq.types import FeatureTranslation, FeedbackSet, PersonaSet, ThemeReport

__all__ = [
    "ingest_stage", "make_embedder", "embed_stage", "themes_stage", "names_stage", "personas_stage",
    "translate_stage", "cards_stage", "make_llm", "PrecomputedEmbedder", "EMBED_BLOCK", "distinct_texts",
]

# Texts per embedding block: progress advances and the disk cache is written per block,
# so a run killed mid-embedding loses at most one block of work.
EMBED_BLOCK = 1024


def ingest_stage(exports: str | os.PathLike | Sequence[str | os.PathLike], cfg: RunConfig) -> FeedbackSet:
    """The exports as the user gave them (files or folders): files found in a folder that are not
    exports are skipped with a ledger line, files named on their own never are."""
    from feedbackiq.ingest import read_feedback

    ing = cfg.ingest
    return read_feedback(exports, ing.source, layout=ing.layout, encoding=ing.encoding, sheet=ing.sheet,
                         segment_names=ing.segment_names, segment_values=ing.segment_values, **ing.columns)


def make_embedder(name: str, feedback_set: FeedbackSet) -> Embedder:
    """``auto`` picks by language; ``minilm`` / ``onnx-int8`` / ``onnx-fp32`` / ``use`` name the bundled models;
    anything else is a sentence-transformers model folder. Always wrapped in the disk cache."""
    from feedbackiq.embed import EMBEDDER_NAMES, CachedEmbedder, SentenceTransformerEmbedder, default_embedder
    from feedbackiq.embed import make_embedder as named_embedder

    key = name.strip().lower()
    if key == "auto":
        return default_embedder(feedback_set)
    if key in EMBEDDER_NAMES:
        return named_embedder(key)
    if not Path(name).exists():
        raise ConfigError(f"themes.embedding_model: {name!r} is not auto, {', '.join(EMBEDDER_NAMES)} or an existing "
                          "model folder (no model is downloaded at run time)")
    return CachedEmbedder(SentenceTransformerEmbedder(name))


def embed_stage(feedback_set: FeedbackSet, embedder: Embedder, advance: Callable[[int], None] = lambda n: None,
                engine: str = "local", ray_address: str | None = None) -> np.ndarray:
    """One vector per DISTINCT text, in order of first appearance (:func:`distinct_texts`), in blocks
    of ``EMBED_BLOCK``: repeated texts (most of a large review export) are embedded and held once.

    With ``engine="ray"`` the distinct texts go to the cluster as one Ray Data job (one per block
    would start a new actor pool, and load the model again, each time), so progress advances once,
    at the end; the workers' disk caches keep what a killed run had embedded.
    """
    from feedbackiq.themes import embed_distinct

    if engine == "ray":
        from feedbackiq.engine import RayEmbedder

        vecs = embed_distinct(feedback_set.items, RayEmbedder(embedder, ray_address))[0]
        advance(len(vecs))
        return vecs
    return embed_distinct(feedback_set.items, _Blocks(embedder, advance))[0]


def distinct_texts(feedback_set: FeedbackSet) -> list[str]:
    """The texts of a set, each once, in order of first appearance: the rows of the embed stage."""
    return list(dict.fromkeys(it.text for it in feedback_set.items))


class _Blocks(Embedder):
    """Hands texts to ``inner`` ``EMBED_BLOCK`` at a time and reports each finished block."""

    # Blocks of similar-length texts: the models sort by length only within the texts they are
    # handed, and blocks in first-appearance order each held a few long reviews to pad to
    # (evals/README.md, "Scale: 1M rows end to end").
    length_order = True

    def __init__(self, inner: Embedder, advance: Callable[[int], None]) -> None:
        self.inner, self.advance = inner, advance
        self.model_id, self.dim, self.batch_size = inner.model_id, inner.dim, EMBED_BLOCK

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self.inner.embed(texts)
        self.advance(len(texts))
        return vecs


class PrecomputedEmbedder(Embedder):
    """Serves vectors already computed for these texts (a resumed or freshly finished embed stage)."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, model_id: str) -> None:
        self._row = {t: i for i, t in enumerate(texts)}
        self._vectors = vectors
        self.model_id = model_id
        self.precomputed = True   # find_themes(engine="ray") looks these up here, never re-embeds them on the cluster
        self.dim = int(vectors.shape[1]) if vectors.ndim == 2 else 0
        # Blocks, not one batch: Embedder.embed fills one array, so the vectors are not copied twice.
        self.batch_size = max(1, min(len(texts), 65_536))

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        try:
            return np.asarray(self._vectors[[self._row[t] for t in texts]], dtype=np.float32)
        except KeyError as exc:  # a bug in the runner, not user input
            raise RuntimeError(f"text not in the embed checkpoint: {exc}") from None


def themes_stage(feedback_set: FeedbackSet, vectors: np.ndarray, model_id: str, cfg: ThemesConfig) -> ThemeReport:
    from feedbackiq.themes import find_themes

    embedder = PrecomputedEmbedder(distinct_texts(feedback_set), vectors, model_id)
    return find_themes(feedback_set, embedder=embedder, seed=cfg.seed, min_cluster_size=cfg.min_cluster_size,
                       subthemes=cfg.subthemes, engine=cfg.engine, ray_address=cfg.ray_address, n_needs=cfg.n_needs,
                       min_need_share=cfg.min_need_share, overrides=cfg.overrides)


def make_llm(cfg: LLMConfig, cache_dir: Path):
    """The configured LLM (replies cached and every call logged in ``cache_dir/llm.sqlite``), or None."""
    from feedbackiq.llm import LLM, Budget

    budget = Budget(max_calls=cfg.max_calls, max_tokens=cfg.max_tokens, max_cost=cfg.max_cost,
                    cost_per_1k_input=cfg.cost_per_1k_input, cost_per_1k_output=cfg.cost_per_1k_output)
    return LLM.from_env(model=cfg.model, base_url=cfg.base_url, api_key=os.environ.get(cfg.api_key_env),
                        azure_endpoint=cfg.azure_endpoint, api_version=cfg.api_version, timeout=cfg.timeout,
                        max_concurrency=cfg.max_concurrency, cache_dir=cache_dir, budget=budget,
                        retry_failed=cfg.retry_failed, stream=cfg.stream, context_tokens=cfg.context_tokens,
                        max_reply_tokens=cfg.max_reply_tokens)


def names_stage(report: ThemeReport, llm, out: OutputConfig, cfg: LLMConfig | None = None,
                vectors: np.ndarray | None = None) -> ThemeReport:
    """Needs named by the LLM (and themes, with ``cfg.name_themes``), after its regrouping of the themes
    into needs when ``cfg.regroup_needs`` (judged on ``vectors``, the embed stage's)."""
    from feedbackiq.llm import regroup_and_name

    cfg = cfg or LLMConfig()
    return regroup_and_name(report, llm, regroup=cfg.regroup_needs, level="both" if cfg.name_themes else "needs",
                            vectors=vectors, language=out.language, min_respondents=out.privacy_threshold,
                            redact=out.redact)


def personas_stage(report: ThemeReport, llm, cfg: PersonasConfig, out: OutputConfig) -> PersonaSet:
    from feedbackiq.gtm import draft_persona_traits, draft_personas

    by = None if (cfg.by or "").lower() == "none" else cfg.by
    personas = draft_personas(report, by=by, min_respondents=cfg.min_respondents)
    if llm is not None:
        personas = draft_persona_traits(personas, report, llm, language=out.language, min_respondents=out.privacy_threshold)
    return personas


def translate_stage(report: ThemeReport, personas: PersonaSet, features_path: Path, llm,
                    out: OutputConfig) -> list[FeatureTranslation]:
    from feedbackiq.gtm import load_features, translate_features

    features = load_features(features_path)
    # messages are per segment: data-driven personas keep the segment personas beside them for this
    return translate_features(features, personas.by_segment(), report, llm, language=out.language,
                              min_respondents=out.privacy_threshold)


def cards_stage(report: ThemeReport, personas: PersonaSet | None, translations: list[FeatureTranslation] | None,
                cards_path: Path, llm, cfg: RunConfig):
    from feedbackiq.cards import load_cards, score_cards

    cards = load_cards(cards_path)
    return score_cards(cards, report, personas=personas, translations=translations, as_of=cfg.files.as_of,
                       llm=llm, seed=cfg.themes.seed, privacy_threshold=cfg.output.privacy_threshold)
