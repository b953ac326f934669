"""``find_themes``: a FeedbackSet in, a ThemeReport out (offline, no API key)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np

from feedbackiq._errors import EmptyInputError, InputError
from feedbackiq._hashing import input_hash
from feedbackiq._tokenize import tokenize
from feedbackiq._voice import rating_scales
from feedbackiq.embed import Embedder, default_embedder
from feedbackiq.engine import ENGINES, RayEmbedder
from feedbackiq.themes._breakdowns import ItemColumns
from feedbackiq.themes._centroids import OTHER, nearest_centroid
from feedbackiq.themes._cluster import ThemeClusterer, fit_sample_then_assign, split_subthemes
from feedbackiq.themes._describe import describe_theme, keyword_name
from feedbackiq.themes._keywords import class_tfidf_keywords
from feedbackiq.themes._need_report import build_needs
from feedbackiq.themes._needs import NeedGrouper
from feedbackiq.themes._overrides import load_need_overrides, regroup
from feedbackiq.types import Assignment, FeedbackItem, FeedbackSet, NeedOverrides, Theme, ThemeReport, construct_trusted

__all__ = ["find_themes", "embed_items", "embed_distinct", "input_hash", "no_themes_note"]

SUBTHEME_MIN_ITEMS = 60
DEFAULT_MIN_NEED_SHARE = 0.01


def embed_items(items: Sequence[FeedbackItem], embedder: Embedder, progress: bool = False) -> np.ndarray:
    """Embed each distinct text once (the same words from two voices count twice but cost once)."""
    vecs, inverse = embed_distinct(items, embedder, progress)
    return vecs[inverse]


def embed_distinct(items: Sequence[FeedbackItem], embedder: Embedder,
                   progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the distinct texts and, per item, its row in them (``vecs[inverse]`` is per item).

    At a million items with many repeats this holds one vector per distinct text, not per item.
    """
    row: dict[str, int] = {}
    inverse = np.fromiter((row.setdefault(it.text, len(row)) for it in items), dtype=np.int64, count=len(items))
    vecs = embedder.embed(list(row), progress=progress)
    return vecs, inverse


def find_themes(
    feedback_set: FeedbackSet,
    *,
    embedder: Embedder | None = None,
    clusterer: ThemeClusterer | None = None,
    seed: int | None = None,
    min_cluster_size: int | None = None,
    subthemes: bool = True,
    progress: bool = False,
    engine: str = "local",
    ray_address: str | None = None,
    n_needs: int | None = None,
    min_need_share: float | None = DEFAULT_MIN_NEED_SHARE,
    language: str | None = None,
    overrides: NeedOverrides | str | os.PathLike | None = None,
) -> ThemeReport:
    """Find need themes in a feedback set.

    Parameters
    ----------
    feedback_set : FeedbackSet
    embedder : Embedder, optional
        Default: chosen by language (:func:`feedbackiq.embed.default_embedder`), cached on disk.
    clusterer : ThemeClusterer, optional
        Default ``ThemeClusterer()``. It is cloned, never modified; ``seed`` and
        ``min_cluster_size``, when given, replace its settings in the clone.
    seed : int, optional
        The one random state of the call: it seeds the clustering, the sub-themes and the needs.
        Default: the clusterer's ``random_state`` when one is given, else 0.
    min_cluster_size : int, optional
        Smallest theme, in items; default the clusterer's, else it scales with the set size.
    subthemes : bool, default True
        Split large themes into sub-themes.
    progress : bool, default False
    engine : {"local", "ray"}, default "local"
        ``"ray"`` (``pip install 'feedbackiq[ray]'``): the distinct texts are embedded on a Ray
        cluster as Ray Data ``map_batches``, each worker building the same named model
        (``make_embedder`` names only; an embedder whose vectors are already at hand,
        ``Embedder.precomputed``, is used here as it is). Above ``max_fit_size`` distinct texts the
        texts outside the fitted sample are assigned on the workers too (``map_batches`` over
        ``ThemeClusterer.predict_with_similarity``). Fitting on the sample, merges and descriptions
        run here on the driver: the same steps as ``"local"``, so the same input and seed give the
        same themes.
    ray_address : str, optional
        With ``engine="ray"`` and Ray not initialised yet: the cluster to join, e.g.
        ``"ray://head:10001"``; default ``$RAY_ADDRESS``, else a local cluster.
    n_needs : int, optional
        Group the themes into this many needs; default: the number is found from the data
        (:class:`~feedbackiq.themes._needs.NeedGrouper`).
    min_need_share : float or None
        Smallest share of the items a need may hold; smaller groups join the need they are closest to.
    language : {"en", "zh"}, optional
        The language needs are named in (default: that of most items).
    overrides : NeedOverrides or path, optional
        A team's fixes to the need tree (split, move, merge, rename; :mod:`feedbackiq.themes._overrides`),
        applied after the grouping; what was applied or skipped is in ``override_notes``.

    Returns
    -------
    ThemeReport
        Needs (largest first; praise and small talk apart in ``non_needs``), the themes that voice
        them (largest first, each with its ``need_id``), the "other" bucket, an assignment (theme and
        need) for every item, parameters, model ids and the input hash.

    Examples
    --------
    >>> import feedbackiq as fiq
    >>> fs = fiq.read_feedback("datasets/samples/app_reviews.csv")   # doctest: +SKIP
    >>> report = fiq.find_themes(fs)                                   # doctest: +SKIP
    >>> report.to_pandas().head()                                      # doctest: +SKIP
    """
    items = list(feedback_set.items)
    if not items:
        raise EmptyInputError("the feedback set has no items: nothing to find themes in (check the ingest ledger)")
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    embedder = embedder or default_embedder(feedback_set)
    clock = _Clock()
    if engine == "ray" and not embedder.precomputed:
        embedder = RayEmbedder(embedder, ray_address)
    Xu, inverse = embed_distinct(items, embedder, progress=progress)
    clock.lap("embed")
    # Cloned from the caller's settings, never fitted in place (no settings overwritten during fit).
    params = clusterer.get_params() if clusterer else {}
    params.update({k: v for k, v in (("random_state", seed), ("min_cluster_size", min_cluster_size)) if v is not None})
    model = ThemeClusterer(**params)
    seed = model.random_state   # one random state for the clustering, the sub-themes and the needs
    # One row per distinct text, weighted by its items: the same themes as one row per item.
    per_text = np.bincount(inverse, minlength=len(Xu))
    first_item = np.unique(inverse, return_index=True)[1]
    languages = np.array([_known_language(items[i]) for i in first_item])
    _fit(model, Xu, per_text, languages, engine, ray_address)
    labels, probabilities = model.labels_[inverse], model.probabilities_[inverse]
    norms = np.maximum(np.linalg.norm(Xu, axis=1, keepdims=True), 1e-12)
    # In place when we may (a million-row set's vectors are hundreds of MB); read-only arrays
    # (a memory-mapped checkpoint) are copied.
    Xu = np.divide(Xu, norms, out=Xu) if Xu.flags.writeable else Xu / norms
    sub = np.full(len(items), OTHER)
    if subthemes:
        fitted = model.fitted_mask_[inverse]
        sub[fitted] = split_subthemes(model.reduced_[inverse[fitted]], labels[fitted],
                                      max(SUBTHEME_MIN_ITEMS, 4 * model.min_cluster_size_ * fitted.mean()), seed)
        if not fitted.all():  # rows outside the fitted sample join the nearest sub-theme of their theme
            _assign_subthemes(Xu, inverse, labels, sub, fitted)
    clock.lap("cluster")

    tokens = [tokenize(items[i].text) for i in first_item.tolist()]   # per distinct text
    keywords = class_tfidf_keywords([], model.labels_, tokens=tokens, weights=per_text)
    columns = ItemColumns.from_items(items, rating_scales(items), text_row=inverse)
    total_voices = columns.n_voices(np.arange(len(items)))

    def build(theme_id: int, idx: np.ndarray, kws: list[str], centroid: np.ndarray) -> Theme:
        return describe_theme(theme_id, idx, columns, Xu[inverse[idx]], centroid, kws, total_voices)

    themes = []
    for t, idx in enumerate(_members_by_theme(labels, model.n_themes_)):
        theme = build(t, idx, keywords.get(t, []), model.centroids_[t])
        theme.subthemes = _subthemes(t, idx, sub, tokens, Xu, inverse, build)
        themes.append(theme)
    other = None
    other_idx = np.where(labels == OTHER)[0]
    if len(other_idx):
        centroid = Xu[inverse[other_idx]].mean(axis=0)
        other = build(OTHER, other_idx, _keywords_by_text(np.zeros(len(other_idx), int), inverse[other_idx], tokens).get(0, []),
                      centroid / (np.linalg.norm(centroid) or 1.0))
        other.name = "Other (unassigned)"
    clock.lap("describe")
    grouper = NeedGrouper(n_needs=n_needs, min_need_share=min_need_share, random_state=seed)
    grouper.fit(Xu, model.labels_, per_text, languages, model.reduced_)

    def keywords_of(group: np.ndarray) -> dict[int, list[str]]:
        idx = np.where(group >= 0)[0]
        return _keywords_by_text(group[idx], inverse[idx], tokens) if len(idx) else {}

    language = language or _main_language(items)
    needs, non_needs, need_of_item = build_needs(grouper.need_of_theme_, labels, themes, columns, Xu, inverse,
                                                 keywords_of, total_voices, language, seed)
    override_notes: list[str] = []
    fixed: list[int] = []
    if overrides is not None:
        plan = regroup(overrides if isinstance(overrides, NeedOverrides) else load_need_overrides(overrides), themes,
                       [*needs, *non_needs], {it.id: lab for it, lab in zip(items, labels.tolist())})
        needs, non_needs, need_of_item = build_needs(plan.need_of_theme, labels, themes, columns, Xu, inverse,
                                                     keywords_of, total_voices, language, seed, plan.names, plan.kinds)
        override_notes, fixed = plan.notes, sorted(plan.fixed)
    assignments = _assignments(items, labels, np.clip(probabilities, 0, 1), sub, need_of_item)
    clock.lap("needs")   # with the assignments, which carry each item's need
    return ThemeReport(
        # HDBSCAN never looks for groups smaller than 5 (ThemeClusterer._fit_all).
        note=None if themes else no_themes_note(len(items), max(5, model.min_cluster_size_)),
        timings=clock.laps,
        themes=themes, needs=needs, non_needs=non_needs, other=other, assignments=assignments,
        override_notes=override_notes, n_items=len(items), n_respondents=total_voices,
        parameters=json.loads(json.dumps({**model.get_params(), "min_cluster_size_used": model.min_cluster_size_,
                                          "subthemes": subthemes, "n_needs": n_needs, "min_need_share": min_need_share,
                                          "language": language, "themes_fixed_by_overrides": fixed},
                                         default=str)),
        model_ids={"embedding": embedder.model_id},
        input_hash=input_hash(items),
        feedback=feedback_set,
    )


def no_themes_note(n_items: int, min_cluster_size: int) -> str:
    """Why a set has no themes: too few items say the same thing.

    >>> no_themes_note(12, 5)
    'No themes: no group of at least 5 similar items among the 12; a theme needs at least 5 items voicing the same need (all 12 are in "other").'
    """
    return (f"No themes: no group of at least {min_cluster_size} similar items among the {n_items}; a theme needs at "
            f"least {min_cluster_size} items voicing the same need (all {n_items} are in \"other\").")


def _fit(model: ThemeClusterer, X: np.ndarray, weight: np.ndarray, groups: np.ndarray, engine: str,
         ray_address: str | None) -> ThemeClusterer:
    """``model.fit``; on Ray, rows outside the fitted sample are assigned by the workers
    (``ray_map_rows`` over ``predict_with_similarity``, a pure function of the fitted model): the same
    steps and results as the local fit, which assigns them here."""
    if engine == "ray" and model.max_fit_size is not None and len(X) > model.max_fit_size:
        from feedbackiq.engine import ray_map_rows

        def assign(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return ray_map_rows(rows, model.predict_with_similarity, address=ray_address)

        return fit_sample_then_assign(model, X, weight, groups, assign=assign, block_rows=None)
    return model.fit(X, sample_weight=weight, groups=groups)


def _assign_subthemes(Xu: np.ndarray, inverse: np.ndarray, labels: np.ndarray, sub: np.ndarray,
                      fitted: np.ndarray) -> None:
    for members in _members_by_theme(labels, int(labels.max()) + 1 if len(labels) else 0):
        known = members[fitted[members] & (sub[members] >= 0)]
        todo = members[~fitted[members]]
        if not len(known) or not len(todo):
            continue
        ids = np.unique(sub[known])
        C = np.stack([Xu[inverse[known[sub[known] == s]]].mean(axis=0) for s in ids])
        sub[todo] = ids[nearest_centroid(Xu, inverse[todo], C)[0]]


def _members_by_theme(labels: np.ndarray, n_themes: int) -> list[np.ndarray]:
    """Item indices (ascending) of each theme ``0 .. n_themes - 1``, grouped once: not a scan of every
    item per theme (700 themes x 1M items)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(n_themes + 1))
    return [order[bounds[t]:bounds[t + 1]] for t in range(n_themes)]


def _known_language(item: FeedbackItem) -> str:
    """zh / en, or "" when the language is unknown (such items belong to no language group)."""
    return "" if item.language == "other" else item.language


def _keywords_by_text(labels: np.ndarray, text_rows: np.ndarray, tokens: Sequence[list[str]]) -> dict[int, list[str]]:
    """``class_tfidf_keywords`` of items with these labels and distinct texts, each (text, label)
    pair once with its count: the same keywords as one document per item (counts are whole
    numbers, so the sums are exact), without tokens for a million documents."""
    n_labels = int(labels.max()) + 2 if len(labels) else 1
    pairs, count = np.unique(text_rows.astype(np.int64) * n_labels + (labels + 1), return_counts=True)
    rows, labs = pairs // n_labels, pairs % n_labels - 1
    return class_tfidf_keywords([], labs, tokens=[tokens[r] for r in rows.tolist()], weights=count)


_ASSIGNMENT_FIELDS = frozenset(Assignment.model_fields)


def _assignments(items: Sequence[FeedbackItem], labels: np.ndarray, probs: np.ndarray, sub: np.ndarray,
                 need: np.ndarray) -> list[Assignment]:
    # Built without validation, with one shared (complete) fields set: values are already valid, and it
    # saves memory and time at scale (evals/README.md, "Measurements behind the code").
    fields = set(_ASSIGNMENT_FIELDS)
    return [construct_trusted(Assignment, fields, {"item_id": it.id, "theme_id": lab, "probability": p,
                                                   "subtheme_id": s if s >= 0 else None,
                                                   "need_id": g if g >= 0 else None})
            for it, lab, p, s, g in zip(items, labels.tolist(), probs.tolist(), sub.tolist(), need.tolist())]


def _main_language(items: Sequence[FeedbackItem]) -> str:
    """zh when most items are Chinese, else en: the language offline need names are chosen in."""
    zh = sum(1 for it in items if it.language == "zh")
    return "zh" if zh > len(items) / 2 else "en"


class _Clock:
    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        t = self._now()
        self.laps[name] = round(t - self._last, 3)
        self._last = t


def _subthemes(parent: int, idx: np.ndarray, sub: np.ndarray, tokens, Xu, inverse, build) -> list[Theme]:
    ids = sub[idx]
    if (ids < 0).all():
        return []
    kws = _keywords_by_text(ids, inverse[idx], tokens)
    out = []
    for s in sorted(set(ids[ids >= 0].tolist())):
        sidx = idx[ids == s]
        c = Xu[inverse[sidx]].mean(axis=0)
        theme = build(s, sidx, kws.get(s, []), c / (np.linalg.norm(c) or 1.0))
        theme.parent_id = parent
        theme.name = keyword_name(theme.keywords)
        out.append(theme)
    return out
