"""Fitting on a sample: what ``ThemeClusterer.fit`` does above ``max_fit_size`` distinct vectors.

Why each step:
- A representative sample (:func:`representative_sample`): the texts standing for the most items
  (misplacing one costs many items) and a uniform random draw of the rest, so that the sample has
  the density of the distinct texts, which is what fitting on everything clusters.
- The sample is the set at a lower density, so the HDBSCAN theme size keeps the same share of the
  set. The UMAP and HDBSCAN neighbourhoods shrink with it (:func:`sample_neighbourhood`) only where
  the themes are small in the sample (:func:`typical_theme_size` below twice ``n_neighbors``): there
  the full set's neighbourhoods reach across themes and merge them; where themes are large,
  shrinking them over-split the themes.
- Every other row is assigned by ``ThemeClusterer.predict_with_similarity`` (nearest theme
  centroid, corrected by the vote of the nearest sampled texts: ``feedbackiq.themes._assign``;
  "other" below ``other_cutoff_``, learned on rows the fit did not see), a pure function of a few
  fitted arrays: any batch of rows, anywhere (a Ray ``map_batches``), gives the same labels.

Quality against fitting everything is measured in evals/README.md ("Fitting on a sample").
"""

from __future__ import annotations

import numpy as np

from feedbackiq.themes._cluster import ThemeClusterer, _centroids, auto_min_cluster_size, unique_rows

__all__ = ["fit_sample_then_assign", "representative_sample", "sample_neighbourhood", "typical_theme_size"]


def fit_sample_then_assign(clusterer: ThemeClusterer, X: np.ndarray, sample_weight: np.ndarray | None = None,
                           groups: np.ndarray | None = None, assign=None, block_rows: int | None = 65_536) -> ThemeClusterer:
    """Fit ``clusterer`` on a representative sample of ``X``, then assign every other row with ``assign``.

    What ``ThemeClusterer.fit`` does above ``max_fit_size`` distinct vectors, usable with another
    assignment step (e.g. a distributed one).

    Parameters
    ----------
    clusterer : ThemeClusterer
        Its ``max_fit_size`` is the sample size (``None``: every distinct vector).
    X : array-like of shape (n, dim)
    sample_weight : array-like of shape (n,), optional
        How many items each row stands for.
    groups : array-like of shape (n,), optional
        Each row's language, for the cross-language merge.
    assign : callable, optional
        ``assign(X_block) -> (labels, similarities)``; default ``clusterer.predict_with_similarity``.
        It must behave like that method, a pure function of the fitted clusterer, which at that
        point holds only the sample's per-row attributes (small to pickle: mostly ``centroids_``,
        themes x dim, and ``vote_vectors_``, the sampled texts in a theme: 31 MB for 20,000 x 384).
    block_rows : int or None, default 65536
        Rows per ``assign`` call; ``None``: all in one call, for a distributed ``assign`` that splits
        them itself.

    Returns
    -------
    ThemeClusterer
        ``clusterer``, fitted. Deterministic for a given ``random_state`` when ``assign`` is.

    Notes
    -----
    1. Sample ``max_fit_size`` distinct vectors (:func:`representative_sample`, seeded by
       ``random_state``).
    2. Fit everything on those vectors (each weighted by its items): reduction, HDBSCAN
       (``min_cluster_size`` scaled to keep the same smallest theme share; UMAP ``n_neighbors`` and
       HDBSCAN ``min_samples`` the full set's, or scaled by :func:`sample_neighbourhood` when the
       themes found with those are small in the sample: :func:`_fit_sample`), the outlier policy and the merges;
       then learn ``other_cutoff_`` on up to ``max(1000, max_fit_size // 4)`` other distinct vectors
       (the ``max_other_share`` cap as the similarity below which that share of unseen items lies).
    3. ``assign`` the other rows, ``block_rows`` at a time (by default the nearest centroid corrected
       by the vote of the nearest sampled texts, ``vote_vectors_`` and ``vote_labels_``).
    4. ``centroids_`` recomputed over all rows (so later ``predict`` calls use them), and the per-row
       attributes set for all rows (``fitted_mask_`` marks the sample; predicted rows get zero
       ``reduced_`` coordinates and ``reassigned_`` when they joined a theme).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.05, (200, 8)) for c in np.eye(8)[:3]])
    >>> tc = fit_sample_then_assign(ThemeClusterer(reduction="pca", n_components=3, max_fit_size=300), X)
    >>> int(tc.fitted_mask_.sum()), tc.n_themes_, len(tc.labels_)
    (300, 3, 600)
    """
    X, weight, groups = clusterer._validate_fit(X, sample_weight, groups)
    return _fit_sample_then_assign(clusterer, X, weight, groups, assign or clusterer.predict_with_similarity,
                                   block_rows)


def _fit_sample_then_assign(clusterer, X, weight, groups, assign, block_rows, distinct=None):
    """:func:`fit_sample_then_assign` on validated input (``fit`` validates once: no second copy of X)."""
    n = len(X)
    # A row holding each distinct vector (its first), each row's vector.
    first, inverse = distinct if distinct is not None else unique_rows(X)
    n_unique = len(first)
    per_vector = np.bincount(inverse, weights=weight, minlength=n_unique)
    size = n_unique if clusterer.max_fit_size is None else min(n_unique, clusterer.max_fit_size)
    sample = representative_sample(per_vector, size, clusterer.random_state)
    # Rows the fit does not see, to learn the "other" cutoff on: the sampled rows are nearer their
    # own centroids than new rows are, so a cutoff learned on them put 5-5.5% of the eval union in
    # "other" instead of the 4% cap.
    unseen = np.setdiff1d(np.arange(n_unique), sample)
    calibration = np.random.default_rng([clusterer.random_state, 1]).choice(
        unseen, size=min(len(unseen), max(1000, size // 4)), replace=False) if len(unseen) else unseen
    X_fit, X_cal = X[first[sample]], X[first[calibration]]
    # One row per sampled vector, weighted by its items (so repeated rows and one weighted row fit
    # alike); its group is that of its first row.
    at = np.full(n_unique, -1, dtype=np.int64)
    at[sample] = np.arange(size)
    fitted = at[inverse] >= 0
    mcs = clusterer.min_cluster_size or auto_min_cluster_size(n_unique)
    # The same smallest theme share in the sample as in the whole set.
    _fit_sample(clusterer, X_fit, per_vector[sample], None if groups is None else groups[first[sample]],
                max(5, round(mcs * size / n_unique)), size / n_unique)
    clusterer.min_cluster_size_ = mcs
    # The sampled texts in a theme vote for the rows near them (``predict``): one vote per distinct
    # text, as the fit reads the density of distinct texts. Set before the cutoff, which is learned
    # with the rule it guards.
    member = clusterer.labels_ >= 0
    clusterer.vote_vectors_, clusterer.vote_labels_ = X_fit[member], clusterer.labels_[member].copy()
    if len(calibration):
        clusterer.other_cutoff_ = clusterer._other_cutoff(X_cal, per_vector[calibration])
    del X_fit, X_cal
    labels = np.empty(n, dtype=int)
    probs = np.empty(n)
    reassigned = np.zeros(n, dtype=bool)
    reduced = np.zeros((n, clusterer.reduced_.shape[1]))
    src = at[inverse[fitted]]
    labels[fitted], probs[fitted] = clusterer.labels_[src], clusterer.probabilities_[src]
    reassigned[fitted], reduced[fitted] = clusterer.reassigned_[src], clusterer.reduced_[src]
    rest = np.where(~fitted)[0]
    step = block_rows or max(len(rest), 1)
    for start in range(0, len(rest), step):
        part = rest[start:start + step]
        labels[part], probs[part] = assign(X[part])
    reassigned[rest] = labels[rest] >= 0
    clusterer.labels_, clusterer.probabilities_, clusterer.reassigned_ = labels, probs, reassigned
    clusterer.reduced_, clusterer.fitted_mask_ = reduced, fitted
    clusterer.centroids_ = _centroids(X, labels, clusterer.n_themes_, weight)
    return clusterer


def _fit_sample(clusterer: ThemeClusterer, X: np.ndarray, weight: np.ndarray, groups: np.ndarray | None,
                min_cluster_size: int, share: float) -> None:
    """Fit ``clusterer`` on the sample ``X`` (``share`` of the distinct vectors), choosing the neighbourhoods.

    First with the full set's UMAP ``n_neighbors`` and HDBSCAN ``min_samples``. When the themes found
    are small for them (:func:`typical_theme_size` below twice ``n_neighbors`` sample vectors: the
    neighbourhoods reach across themes), fitted again with the neighbourhoods scaled to the sample's
    density (:func:`sample_neighbourhood`). Always scaling over-split sets whose themes are large in the
    sample (smp2020 at half its texts, held-out seeds 3-5: 127 themes for 88 fitted on everything, -3.7
    NMI; scaled only when needed: 101 themes, -1.8) and, on the 33.5k-text eval union, cost more at a
    10,000 sample (-0.9 NMI, hwu64's rows -2.0; now -0.5 and -0.3); never scaling merged small themes
    (hwu64 at half its texts: -6.7 NMI). evals/README.md, "Fitting on a sample".
    ``fitted_neighbourhood_`` records the pair used.
    """
    scaled = sample_neighbourhood(clusterer.n_neighbors, clusterer.min_samples, share)
    clusterer._fit_all(X, weight, groups, min_cluster_size)
    if scaled != clusterer.fitted_neighbourhood_ and typical_theme_size(clusterer.labels_) < 2 * clusterer.n_neighbors:
        clusterer._fit_all(X, weight, groups, min_cluster_size, scaled)


def typical_theme_size(labels: np.ndarray) -> int:
    """Rows in the theme of the median row in a theme (the lower median; 0 when no row is in one).

    Unlike the mean theme size, not pulled down by many small themes when most rows are in large ones.

    Parameters
    ----------
    labels : ndarray of int
        Theme per row, ``-1`` for "other" (not counted).

    Returns
    -------
    int

    Examples
    --------
    >>> typical_theme_size(np.array([0, 0, 0, 0, 0, 0, 1, 1, 2, -1, -1]))
    6
    >>> typical_theme_size(np.array([0, 1, 2, 3, 3])), typical_theme_size(np.array([-1, -1]))
    (1, 0)
    """
    member = labels[labels >= 0]
    if not len(member):
        return 0
    per_row = np.sort(np.bincount(member)[member])
    return int(per_row[(len(per_row) - 1) // 2])


def sample_neighbourhood(n_neighbors: int, min_samples: int | None, share: float) -> tuple[int, int | None]:
    """UMAP ``n_neighbors`` and HDBSCAN ``min_samples`` for a sample holding ``share`` of the texts.

    A sample is the set at a lower density: the 15 nearest neighbours of a point in all texts are
    about its ``15 * share`` nearest in the sample. Keeping 15 and 5 on a 47% sample of the eval
    union found fewer themes (207 vs 212) and cost 1.3 NMI points; scaled: 237 themes, -0.1 NMI
    (evals/README.md). Floors (5 and 2) keep UMAP and HDBSCAN meaningful on small shares.

    Parameters
    ----------
    n_neighbors, min_samples : int, int or None
        The clusterer's settings for fitting everything (``min_samples=None``: HDBSCAN's default).
    share : float
        Sample size over the number of distinct vectors.

    Returns
    -------
    tuple of (int, int or None)

    Examples
    --------
    >>> sample_neighbourhood(15, 5, 1.0), sample_neighbourhood(15, 5, 0.5), sample_neighbourhood(15, 5, 0.1)
    ((15, 5), (8, 2), (5, 2))
    >>> sample_neighbourhood(15, None, 0.5)
    (8, None)
    """
    if share >= 1.0:
        return n_neighbors, min_samples
    scaled = max(min(5, n_neighbors), round(n_neighbors * share))
    if min_samples is None:
        return scaled, None
    return scaled, max(min(2, min_samples), round(min_samples * share))


def representative_sample(weight: np.ndarray, size: int, random_state: int = 0) -> np.ndarray:
    """Sorted indices of ``size`` rows: those standing for the most items first, the rest at random.

    Up to a tenth of the sample goes to the rows with the largest ``weight`` above the median
    (the texts most items share: misplacing one costs many items); the rest is a uniform random
    draw, so that the sample has the density of the distinct texts, which is what fitting on
    everything clusters. With equal weights it is a plain random sample.

    Parameters
    ----------
    weight : ndarray of shape (n,)
        Items each row stands for.
    size : int
        Rows to pick (all ``n`` when ``size >= n``).
    random_state : int, default 0

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> representative_sample(np.array([1, 1, 1, 50, 1, 1, 1, 1, 1, 1]), 10, 0).tolist() == list(range(10))
    True
    >>> 3 in representative_sample(np.array([1, 1, 1, 50, 1, 1, 1, 1, 1, 1]), 2, 0)
    True
    """
    n = len(weight)
    if size >= n:
        return np.arange(n)
    heavy = np.where(weight > np.median(weight))[0]
    heavy = heavy[np.argsort(-weight[heavy], kind="stable")][: max(1, size // 10)]
    rest = np.setdiff1d(np.arange(n), heavy)
    rng = np.random.default_rng(random_state)
    return np.sort(np.concatenate([heavy, rng.choice(rest, size=size - len(heavy), replace=False)]))
