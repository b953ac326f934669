"""ThemeClusterer: reduce, find dense groups with HDBSCAN, then apply the outlier policy.

Why each step:
- Reduce first. HDBSCAN on raw 384-d vectors grows like n^2.7; UMAP to a few
  dimensions (or PCA, the light option) keeps it near-linear and sharpens density.
- HDBSCAN does not need the number of themes. ``min_cluster_size`` scales with n
  (:func:`auto_min_cluster_size`), because a theme of 8 voices matters in 300
  answers and is noise in 300,000. ``min_samples`` stays small (5): it only sets how
  much density smoothing HDBSCAN does, and tying it to the theme size (HDBSCAN's default)
  melted neighbouring small intents together (hwu64, clinc150 with out-of-scope; evals/README.md).
- Outlier policy: an item fits a theme when its cosine similarity to the theme centroid
  (in the ORIGINAL embedding space) reaches ``reassign_threshold``. HDBSCAN noise joins
  its most similar theme; noise that fits no theme, and theme members that do not fit
  their own theme, go to the explicit "other" bucket (label -1), least similar first, but
  never more than ``max_other_share`` of the rows: beyond that, noise joins its nearest
  theme anyway and members stay. So "other" is small and holds the items that fit worst
  (on clinc150 the out-of-scope queries; measured in evals/README.md).
- Themes that are one need are merged, after the outlier policy: when their centroids
  are near-duplicates (cosine >= ``merge_threshold``), or when the centroids are more
  similar than each theme's own members are to it, by ``merge_margin`` (a diffuse need
  that HDBSCAN cut into pieces; measured in evals/README.md).
- One need voiced in two languages comes out as two themes (a multilingual model places a
  sentence nearer to other sentences in its own language than to its translation). When
  ``fit`` is given each row's language (``groups``), a theme mostly in one language and a theme
  mostly in another are merged when each is the other's most similar theme across languages
  and their centroids reach ``cross_group_merge``. Monolingual sets are unaffected.
- Large sets: above ``max_fit_size`` distinct vectors all of the above is fitted on a sample
  (chosen and sized by ``feedbackiq.themes._sample``) and the other rows are assigned by ``predict``
  (nearest centroid corrected by a vote of the nearest sampled texts, "other" below a cutoff learned
  from the cap), a pure function of a few fitted arrays, so it can run on any batch of rows anywhere
  (:func:`fit_sample_then_assign`; evals/README.md, "Fitting on a sample").
"""

from __future__ import annotations

import math

import numpy as np

from feedbackiq._errors import EmptyInputError, InputError
from feedbackiq.themes._centroids import (
    BLOCK_ROWS,
    OTHER,
    merge_across_groups,
    nearest_centroid,
    own_similarity,
    relabel_by_size,
    theme_centroids,
    unique_rows,
    weighted_mean,
)
from feedbackiq.themes._sample import representative_sample, sample_neighbourhood, typical_theme_size

__all__ = ["ThemeClusterer", "auto_min_cluster_size", "split_subthemes", "fit_sample_then_assign", "OTHER"]


def auto_min_cluster_size(n: int) -> int:
    """Smallest theme size for ``n`` items: ``round(0.2 * sqrt(n))``, but at least 2% of the items
    up to 10 (BERTopic's fixed size), clipped to [5, 500].

    The 2% floor matters between about 250 and 2,500 items, where ``0.2 * sqrt(n)`` alone cut single
    needs into fragments of near-identical requests (evals/README.md, "Measurements behind the code").

    >>> [auto_min_cluster_size(n) for n in (100, 300, 900, 3_000, 100_000, 1_000_000)]
    [5, 6, 10, 11, 63, 200]
    """
    n = max(n, 1)
    return int(min(500, max(5, round(0.2 * math.sqrt(n)), min(10, n // 50))))


class ThemeClusterer:
    """Cluster embeddings into themes without being told how many there are.

    Parameters
    ----------
    reduction : {"umap", "pca", None}, default "umap"
    n_components : int, default 5
        Dimensions after reduction.
    n_neighbors : int, default 15
        UMAP neighbourhood size (clipped for tiny inputs).
    min_cluster_size : int, optional
        Default :func:`auto_min_cluster_size` of the number of distinct vectors.
    min_samples : int or None, default 5
        HDBSCAN ``min_samples`` (density smoothing); ``None`` uses HDBSCAN's default,
        ``min_cluster_size``.
    cluster_selection_method : {"eom", "leaf"}, default "eom"
    reassign_threshold : float, default 0.5
        Cosine similarity to a theme centroid an item needs to fit that theme (see the outlier
        policy in the module docstring).
    max_other_share : float or None, default 0.04
        At most this share of rows stays in "other" (the least similar first); ``None``: no cap,
        every item that fits no theme stays in "other".
    merge_threshold : float or None, default 0.83
        Merge themes whose centroids are at least this similar; ``None`` disables.
    max_fit_size : int or None, default 20000
        Above this many distinct vectors, everything (reduction, HDBSCAN with ``min_cluster_size``
        scaled to keep the same smallest theme share, outlier policy, merges) is fitted on a
        representative sample of this size and every other row is assigned by :meth:`predict`
        (:func:`fit_sample_then_assign`). Keeps large sets fast and bounded; ``None``: never sample.
    merge_margin : float or None, default 0.15
        Also merge two themes when their centroid similarity reaches the mean of their
        cohesions (mean member-to-centroid cosine) plus this margin; ``None`` disables.
    cross_group_merge : float or None, default 0.55
        Centroid cosine from which two themes dominated by different ``groups`` (languages) that
        are each other's nearest across groups are merged; ``None`` disables (evals/README.md,
        "One need, two languages: the cross-language merge").
    n_epochs : int, optional
        UMAP layout epochs. Default: 200 from 4,096 rows (``FAST_LAYOUT_ROWS`` in
        ``feedbackiq.themes._reduce``), UMAP's own 500 below (evals/README.md, "UMAP epochs").
    random_state : int, default 0

    Attributes
    ----------
    labels_ : ndarray of shape (n,)
        Theme per row, ``-1`` for "other".
    probabilities_ : ndarray of shape (n,)
        HDBSCAN membership strength, or the centroid similarity for reassigned rows.
    reassigned_ : ndarray of bool
        Rows HDBSCAN called noise that the outlier policy placed in a theme. (Members moved
        to "other" because they do not fit their theme are ``labels_ == -1`` and not reassigned.)
    n_themes_ : int
    centroids_ : ndarray of shape (n_themes_, dim)
        Normalised theme centroids in the original space.
    reduced_ : ndarray
        The reduced coordinates (useful for sub-themes and maps); zeros for rows outside the
        fitted sample, see ``fitted_mask_``.
    fitted_mask_ : ndarray of bool
        Rows whose vector was in the sample that the clusterer was fitted on (all rows when
        there was no sample); the others were assigned by :meth:`predict`.
    other_cutoff_ : float
        :meth:`predict` puts a row in "other" when its best centroid cosine is below this: the
        outlier policy (``reassign_threshold``, and the ``max_other_share`` cap as the similarity
        below which that share of the fitted items lies; after a sample fit, of items outside the
        sample) as one number learned during fit.
    vote_vectors_ : ndarray of shape (n_votes, dim) or None
        After a sample fit, the sampled texts in a theme (unit vectors); their vote corrects the
        nearest centroid in :meth:`predict` (``feedbackiq.themes._assign``). ``None`` after fitting
        everything: :meth:`predict` is then the nearest centroid alone.
    vote_labels_ : ndarray of int, shape (n_votes,), or None
        The theme of each of ``vote_vectors_``.
    min_cluster_size_ : int
    fitted_neighbourhood_ : tuple of (int, int or None)
        UMAP ``n_neighbors`` and HDBSCAN ``min_samples`` the fit used: the constructor's, or after a sample
        fit possibly scaled to the sample (``feedbackiq.themes._sample``).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(c, 0.05, (40, 8)) for c in np.eye(8)[:3]])
    >>> tc = ThemeClusterer(reduction="pca", n_components=3).fit(X)
    >>> tc.n_themes_
    3
    """

    def __init__(self, reduction: str | None = "umap", n_components: int = 5, n_neighbors: int = 15,
                 min_cluster_size: int | None = None, min_samples: int | None = 5,
                 cluster_selection_method: str = "eom", reassign_threshold: float = 0.5,
                 max_other_share: float | None = 0.04,
                 merge_threshold: float | None = 0.83, merge_margin: float | None = 0.15,
                 max_fit_size: int | None = 20_000, cross_group_merge: float | None = 0.55,
                 n_epochs: int | None = None, random_state: int = 0) -> None:
        self.reduction = reduction
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.reassign_threshold = reassign_threshold
        self.max_other_share = max_other_share
        self.merge_threshold = merge_threshold
        self.merge_margin = merge_margin
        self.max_fit_size = max_fit_size
        self.cross_group_merge = cross_group_merge
        self.n_epochs = n_epochs
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments (scikit-learn convention), e.g. to clone or to record a run."""
        import inspect

        return {name: getattr(self, name) for name in inspect.signature(type(self).__init__).parameters if name != "self"}

    def fit(self, X: np.ndarray, y: None = None, sample_weight: np.ndarray | None = None,
            groups: np.ndarray | None = None) -> "ThemeClusterer":
        """Fit on ``X`` (one row per item); ``sample_weight`` counts how many items a row stands for.

        ``find_themes`` passes each distinct text once with its count: the same themes as passing
        every item, for a fraction of the memory (centroids, cohesion and sizes are weighted).
        ``groups`` (e.g. each row's language) enables the cross-language merge. Above
        ``max_fit_size`` distinct vectors this is :func:`fit_sample_then_assign` with
        :meth:`predict_with_similarity` as the assignment.
        """
        X, weight, groups = self._validate_fit(X, sample_weight, groups)
        distinct = unique_rows(X)
        if self.max_fit_size is not None and len(distinct[0]) > self.max_fit_size:
            return self._fit_sample_then_assign(X, weight, groups, self.predict_with_similarity, BLOCK_ROWS, distinct)
        return self._fit_all(X, weight, groups, distinct=distinct)

    def _validate_fit(self, X, sample_weight, groups):
        X = self._validate(X)
        weight = self._validate_weight(sample_weight, X.shape[0])
        if groups is not None and len(groups) != X.shape[0]:
            raise InputError(f"groups has {len(groups)} values for {X.shape[0]} rows")
        return X, weight, None if groups is None else np.asarray(groups)

    def _fit_all(self, X: np.ndarray, weight: np.ndarray | None, groups: np.ndarray | None,
                 min_cluster_size: int | None = None, neighbourhood: tuple[int, int | None] | None = None,
                 distinct: tuple[np.ndarray, np.ndarray] | None = None) -> "ThemeClusterer":
        """Reduce, HDBSCAN, outlier policy and merges on every (already validated) row of ``X``.

        When ``X`` is a sample (``feedbackiq.themes._sample``), ``min_cluster_size`` overrides the
        HDBSCAN theme size and ``neighbourhood`` the UMAP ``n_neighbors`` and HDBSCAN ``min_samples``
        (default: the constructor's); the reported ``min_cluster_size_`` is then set by the caller.
        """
        n = X.shape[0]
        # Where the distinct rows are (no copy of them); ``fit`` passes what it already found.
        first, inverse = distinct if distinct is not None else unique_rows(X)
        n_unique = len(first)
        mcs = self.min_cluster_size or auto_min_cluster_size(n_unique)
        self.min_cluster_size_ = mcs
        n_neighbors, min_samples = self.fitted_neighbourhood_ = neighbourhood or (self.n_neighbors, self.min_samples)
        # Fitted on every row it is given: nothing to vote beyond the centroids (a sample fit sets them after).
        self.vote_vectors_ = self.vote_labels_ = None
        if n_unique < max(2 * mcs, 5):
            # Too few distinct texts to find density: one theme holds them all.
            labels_u = np.zeros(n_unique, dtype=int)
            probs_u = np.ones(n_unique)
            self.reduced_ = np.zeros((n, 2))
        else:
            reduced_u = self._reduce(X[first], n_neighbors)
            labels_u, probs_u = self._hdbscan(reduced_u, max(5, min_cluster_size or mcs), min_samples)
            self.reduced_ = reduced_u[inverse]
        labels, probs = labels_u[inverse], probs_u[inverse]
        self.fitted_mask_ = np.ones(n, dtype=bool)
        labels, probs, self.reassigned_ = self._reassign(X, labels, probs, weight)
        labels = self._merge(X, labels, weight)
        if groups is not None and self.cross_group_merge is not None:
            labels = merge_across_groups(X, labels, groups, self.cross_group_merge, weight)
        self.labels_, self.probabilities_ = relabel_by_size(labels, weight), probs
        self.n_themes_ = int(self.labels_.max() + 1) if (self.labels_ >= 0).any() else 0
        self.centroids_ = theme_centroids(X, self.labels_, self.n_themes_, weight)
        self.other_cutoff_ = self._other_cutoff(X, weight)
        return self

    def _fit_sample_then_assign(self, X, weight, groups, assign, block_rows, distinct=None):
        """:func:`fit_sample_then_assign` on validated input (``fit`` validates once: no second copy of X)."""
        n = len(X)
        # A row holding each distinct vector (its first), each row's vector.
        first, inverse = distinct if distinct is not None else unique_rows(X)
        n_unique = len(first)
        per_vector = np.bincount(inverse, weights=weight, minlength=n_unique)
        size = n_unique if self.max_fit_size is None else min(n_unique, self.max_fit_size)
        sample = representative_sample(per_vector, size, self.random_state)
        # Rows the fit does not see, to learn the "other" cutoff on: the sampled rows are nearer their
        # own centroids than new rows are, so a cutoff learned on them puts more than the cap in "other"
        # (evals/README.md, "Measurements behind the code").
        unseen = np.setdiff1d(np.arange(n_unique), sample)
        calibration = np.random.default_rng([self.random_state, 1]).choice(
            unseen, size=min(len(unseen), max(1000, size // 4)), replace=False) if len(unseen) else unseen
        X_fit, X_cal = X[first[sample]], X[first[calibration]]
        # One row per sampled vector, weighted by its items (so repeated rows and one weighted row fit
        # alike); its group is that of its first row.
        at = np.full(n_unique, -1, dtype=np.int64)
        at[sample] = np.arange(size)
        fitted = at[inverse] >= 0
        mcs = self.min_cluster_size or auto_min_cluster_size(n_unique)
        # The same smallest theme share in the sample as in the whole set.
        self._fit_sample(X_fit, per_vector[sample], None if groups is None else groups[first[sample]],
                         max(5, round(mcs * size / n_unique)), size / n_unique)
        self.min_cluster_size_ = mcs
        # The sampled texts in a theme vote for the rows near them (``predict``): one vote per distinct
        # text, as the fit reads the density of distinct texts. Set before the cutoff, which is learned
        # with the rule it guards.
        member = self.labels_ >= 0
        self.vote_vectors_, self.vote_labels_ = X_fit[member], self.labels_[member].copy()
        if len(calibration):
            self.other_cutoff_ = self._other_cutoff(X_cal, per_vector[calibration])
        del X_fit, X_cal
        labels = np.empty(n, dtype=int)
        probs = np.empty(n)
        reassigned = np.zeros(n, dtype=bool)
        reduced = np.zeros((n, self.reduced_.shape[1]))
        src = at[inverse[fitted]]
        labels[fitted], probs[fitted] = self.labels_[src], self.probabilities_[src]
        reassigned[fitted], reduced[fitted] = self.reassigned_[src], self.reduced_[src]
        rest = np.where(~fitted)[0]
        step = block_rows or max(len(rest), 1)
        for start in range(0, len(rest), step):
            part = rest[start:start + step]
            labels[part], probs[part] = assign(X[part])
        reassigned[rest] = labels[rest] >= 0
        self.labels_, self.probabilities_, self.reassigned_ = labels, probs, reassigned
        self.reduced_, self.fitted_mask_ = reduced, fitted
        self.centroids_ = theme_centroids(X, labels, self.n_themes_, weight)
        return self

    def _fit_sample(self, X: np.ndarray, weight: np.ndarray, groups: np.ndarray | None,
                    min_cluster_size: int, share: float) -> None:
        """Fit on the sample ``X`` (``share`` of the distinct vectors), choosing the neighbourhoods.

        First with the full set's UMAP ``n_neighbors`` and HDBSCAN ``min_samples``. When the themes found
        are small for them (:func:`typical_theme_size` below twice ``n_neighbors`` sample vectors: the
        neighbourhoods reach across themes), fitted again with the neighbourhoods scaled to the sample's
        density (:func:`sample_neighbourhood`). Always scaling over-split sets whose themes are large in the
        sample, never scaling merged small themes (evals/README.md, "Fitting on a sample").
        ``fitted_neighbourhood_`` records the pair used.
        """
        scaled = sample_neighbourhood(self.n_neighbors, self.min_samples, share)
        self._fit_all(X, weight, groups, min_cluster_size)
        if scaled != self.fitted_neighbourhood_ and typical_theme_size(self.labels_) < 2 * self.n_neighbors:
            self._fit_all(X, weight, groups, min_cluster_size, scaled)

    def _other_cutoff(self, X: np.ndarray, weight: np.ndarray | None) -> float:
        """The outlier policy as one similarity: a new row whose theme's centroid cosine is below it is "other".

        ``reassign_threshold``, lowered to the similarity below which ``max_other_share`` of the
        items of ``X`` lie (the cap, in items, least similar first), so that predicted rows go to
        "other" at about the share the cap allows. The similarity is the one :meth:`predict` uses
        (after a sample fit, to the theme the vote chose).
        """
        cutoff = float(self.reassign_threshold)
        if self.n_themes_ == 0:
            return cutoff
        if self.max_other_share is not None:
            sims = self._nearest_theme(X)[1].astype(np.float64)
            order = np.argsort(sims, kind="stable")
            w = np.ones(len(X)) if weight is None else weight[order]
            below = np.searchsorted(np.cumsum(w), self.max_other_share * w.sum(), side="right")
            cutoff = min(cutoff, float(sims[order[below]]) if below < len(order) else np.inf)
        return cutoff

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Theme of each new row (``-1``: "other"), by the fitted outlier policy.

        A row joins its most similar theme centroid (cosine in the original space) when that
        similarity reaches ``other_cutoff_``, else "other". After a sample fit (``vote_vectors_``
        set), the similarity to each of the row's few nearest centroids gets a bounded bonus from
        the vote of its nearest sampled texts (:func:`feedbackiq.themes._assign.centroid_vote`), and
        the row joins the best-scoring theme when its cosine to that theme's centroid reaches
        ``other_cutoff_``: a row inside one lobe of a theme whose centroid lies nearer another
        theme's stays with its lobe. A pure function of ``centroids_``, ``other_cutoff_`` and
        ``vote_vectors_`` / ``vote_labels_``: rows are independent, so any split into batches
        (e.g. Ray ``map_batches``) gives the same labels.

        Parameters
        ----------
        X : array-like of shape (n, dim)
            Embeddings in the fitted space (normalised here).

        Returns
        -------
        ndarray of int, shape (n,)

        Examples
        --------
        >>> import numpy as np
        >>> X = np.repeat(np.eye(4)[:2], 30, axis=0) + np.random.default_rng(0).normal(0, 0.05, (60, 4))
        >>> tc = ThemeClusterer(reduction=None).fit(X)
        >>> tc.predict([[1, 0.1, 0, 0], [0, 1, 0, 0.1], [0, 0, 1, 0]]).tolist() == [tc.labels_[0], tc.labels_[-1], -1]
        True
        """
        return self.predict_with_similarity(X)[0]

    def predict_with_similarity(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict` and each row's cosine to its theme's centroid (0 for "other").

        Parameters
        ----------
        X : array-like of shape (n, dim)

        Returns
        -------
        labels : ndarray of int, shape (n,)
        similarity : ndarray of float64, shape (n,)
            Without a vote (fitted on everything) the cosine to the nearest centroid; after a sample
            fit, to the centroid of the theme the vote chose (at most the nearest one's).

        Examples
        --------
        >>> import numpy as np
        >>> X = np.repeat(np.eye(4)[:2], 30, axis=0) + np.random.default_rng(0).normal(0, 0.05, (60, 4))
        >>> tc = ThemeClusterer(reduction=None, max_fit_size=40).fit(X)   # 40 sampled, 20 predicted
        >>> labels, sim = tc.predict_with_similarity([[1, 0.1, 0, 0], [0, 0, 1, 0]])
        >>> labels.tolist() == [tc.labels_[0], -1], bool(sim[0] > 0.9), float(sim[1])
        (True, True, 0.0)
        """
        X = self._validate(X)
        if not self.n_themes_:
            return np.full(len(X), OTHER, dtype=int), np.zeros(len(X))
        best, sim = self._nearest_theme(X)
        fits = sim >= self.other_cutoff_
        return np.where(fits, best, OTHER).astype(int), np.where(fits, np.clip(sim, 0.0, 1.0), 0.0).astype(np.float64)

    def _nearest_theme(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each (unit) row's theme before the "other" cutoff, and its cosine to that theme's centroid."""
        if getattr(self, "vote_vectors_", None) is None:   # also clusterers pickled before the vote existed
            return nearest_centroid(X, np.arange(len(X)), self.centroids_)
        from feedbackiq.themes._assign import centroid_vote

        return centroid_vote(X, self.centroids_, self.vote_vectors_, self.vote_labels_)

    @staticmethod
    def _validate_weight(sample_weight: np.ndarray | None, n: int) -> np.ndarray | None:
        if sample_weight is None:
            return None
        w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if w.shape[0] != n:
            raise InputError(f"sample_weight has {w.shape[0]} values for {n} rows")
        if not np.isfinite(w).all() or (w <= 0).any():
            raise InputError("sample_weight must be positive and finite")
        return w

    def fit_predict(self, X: np.ndarray, y: None = None) -> np.ndarray:
        return self.fit(X).labels_

    def _validate(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2:
            raise InputError(f"expected a 2-D array of embeddings, got shape {X.shape}")
        if X.shape[0] == 0:
            raise EmptyInputError("no items to cluster")
        if not np.isfinite(X).all():
            raise InputError("embeddings contain NaN or infinite values")
        if self.reduction not in ("umap", "pca", None):
            raise InputError(f"reduction must be 'umap', 'pca' or None, got {self.reduction!r}")
        if self.cluster_selection_method not in ("eom", "leaf"):
            raise InputError("cluster_selection_method must be 'eom' or 'leaf'")
        if self.max_other_share is not None and not 0 <= self.max_other_share <= 1:
            raise InputError(f"max_other_share must be between 0 and 1 or None, got {self.max_other_share!r}")
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        return X / np.where(norms == 0, 1.0, norms)

    def _reduce(self, X: np.ndarray, n_neighbors: int | None = None) -> np.ndarray:
        from feedbackiq.themes._reduce import reduce_dimensions

        return reduce_dimensions(X, self.reduction, self.n_components, n_neighbors or self.n_neighbors,
                                 self.n_epochs, self.random_state)

    def _hdbscan(self, Z: np.ndarray, mcs: int, min_samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        import hdbscan

        model = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=min_samples,
                                cluster_selection_method=self.cluster_selection_method, core_dist_n_jobs=1)
        labels = model.fit_predict(Z.astype(np.float64))
        return labels.astype(int), np.nan_to_num(model.probabilities_.astype(float))

    def _merge(self, X: np.ndarray, labels: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        if (self.merge_threshold is None and self.merge_margin is None) or labels.max() < 1:
            return labels
        k = int(labels.max() + 1)
        C = theme_centroids(X, labels, k, weight)
        limit = np.full((k, k), np.inf)
        if self.merge_threshold is not None:
            limit = np.minimum(limit, self.merge_threshold)
        if self.merge_margin is not None:
            cohesion = np.array([weighted_mean(X[labels == t] @ C[t], None if weight is None else weight[labels == t])
                                 if (labels == t).any() else 1.0 for t in range(k)])
            limit = np.minimum(limit, (cohesion[:, None] + cohesion[None, :]) / 2 + self.merge_margin)
        parent = list(range(k))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        sims = C @ C.T
        for i, j in zip(*np.where(np.triu(sims >= limit, 1))):
            parent[find(int(i))] = find(int(j))
        mapping = np.array([find(i) for i in range(k)])
        return np.where(labels >= 0, mapping[np.maximum(labels, 0)], OTHER)

    def _reassign(self, X: np.ndarray, labels: np.ndarray, probs: np.ndarray, weight: np.ndarray | None = None):
        n = len(labels)
        reassigned = np.zeros(n, dtype=bool)
        if labels.max() < 0:
            return labels, probs, reassigned
        C = theme_centroids(X, labels, int(labels.max() + 1), weight)
        best, best_sim = nearest_centroid(X, np.arange(n), C)
        noise = labels < 0
        # How well each row fits: noise by its most similar theme, a member by its own theme.
        fit = np.where(noise, best_sim, own_similarity(X, labels, C))
        misfits = np.where(fit < self.reassign_threshold)[0]
        if self.max_other_share is not None:  # the cap, in items: keep only the worst-fitting ones
            misfits = misfits[np.argsort(fit[misfits], kind="stable")]
            w = np.ones(len(misfits)) if weight is None else weight[misfits]
            misfits = misfits[np.cumsum(w) <= int(self.max_other_share * (n if weight is None else weight.sum()))]
        to_other = np.zeros(n, dtype=bool)
        to_other[misfits] = True
        labels, probs = labels.copy(), probs.copy()
        join = noise & ~to_other
        labels[join], probs[join] = best[join], np.clip(best_sim[join], 0.0, 1.0)
        reassigned[join] = True
        labels[to_other], probs[to_other] = OTHER, 0.0
        return labels, probs, reassigned


def split_subthemes(reduced: np.ndarray, labels: np.ndarray, min_size: int, random_state: int = 0) -> np.ndarray:
    """Second level: re-cluster each theme of at least ``min_size`` items in the reduced space.

    Returns a sub-theme id per row (``-1`` where the theme was not split or the row
    fits no sub-theme). A theme is split only when HDBSCAN finds two or more groups.
    """
    import hdbscan

    sub = np.full(len(labels), OTHER, dtype=int)
    for t in np.unique(labels[labels >= 0]):
        idx = np.where(labels == t)[0]
        if len(idx) < min_size or len(np.unique(reduced[idx], axis=0)) < 10:
            continue
        mcs = max(5, len(idx) // 8)
        found = hdbscan.HDBSCAN(min_cluster_size=mcs, core_dist_n_jobs=1).fit_predict(reduced[idx].astype(np.float64))
        if len(set(found[found >= 0].tolist())) >= 2:
            sub[idx] = relabel_by_size(found)
    return sub


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
        themes x dim, and ``vote_vectors_``, the sampled texts in a theme).
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
       themes found with those are small in the sample: :meth:`ThemeClusterer._fit_sample`), the outlier policy and the merges;
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
    return clusterer._fit_sample_then_assign(X, weight, groups, assign or clusterer.predict_with_similarity, block_rows)
