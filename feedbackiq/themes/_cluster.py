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
- Large sets: above ``max_fit_size`` distinct vectors all of the above is fitted on a sample and
  the other rows are assigned by ``predict`` (nearest centroid corrected by a vote of the nearest
  sampled texts, "other" below a cutoff learned from the cap), a pure function of a few fitted
  arrays, so it can run on any batch of rows anywhere (``fit_sample_then_assign`` in ``feedbackiq.themes._sample``, which says how the sample is fitted;
  quality against fitting everything is measured in evals/README.md).
"""

from __future__ import annotations

import math

import numpy as np

from feedbackiq._errors import EmptyInputError, InputError

__all__ = ["ThemeClusterer", "auto_min_cluster_size", "split_subthemes", "nearest_centroid", "merge_across_groups",
           "unique_rows", "OTHER"]

OTHER = -1


def auto_min_cluster_size(n: int) -> int:
    """Smallest theme size for ``n`` items: ``round(0.2 * sqrt(n))``, but at least 2% of the items
    up to 10 (BERTopic's fixed size), clipped to [5, 500].

    The 2% floor matters between about 250 and 2,500 items, where ``0.2 * sqrt(n)`` alone (6 at
    900 items) cut single needs into fragments of 8-10 near-identical requests (dstc11_insurance).

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
        are each other's nearest across groups are merged; ``None`` disables. On the bundled
        bilingual samples every cross-language pair at or above 0.5 was the same planted need.
    n_epochs : int, optional
        UMAP layout epochs. Default: 200 from 4,096 rows (``FAST_LAYOUT_ROWS`` in
        ``feedbackiq.themes._reduce``), UMAP's own 500 below.
        UMAP itself keeps 500 up to 10,000 rows; on the eval sets of 4,500-5,500 texts 200 epochs fit
        2-2.5 times faster at the same NMI (-0.3 to 0), while the smaller sets lost up to 1.4 points
        and take a few seconds anyway (evals/README.md, "UMAP epochs").
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
            from feedbackiq.themes._sample import _fit_sample_then_assign

            return _fit_sample_then_assign(self, X, weight, groups, self.predict_with_similarity, _CHUNK, distinct)
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
        self.labels_, self.probabilities_ = _relabel_by_size(labels, weight), probs
        self.n_themes_ = int(self.labels_.max() + 1) if (self.labels_ >= 0).any() else 0
        self.centroids_ = _centroids(X, self.labels_, self.n_themes_, weight)
        self.other_cutoff_ = self._other_cutoff(X, weight)
        return self

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
        C = _centroids(X, labels, k, weight)
        limit = np.full((k, k), np.inf)
        if self.merge_threshold is not None:
            limit = np.minimum(limit, self.merge_threshold)
        if self.merge_margin is not None:
            cohesion = np.array([_mean(X[labels == t] @ C[t], None if weight is None else weight[labels == t])
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
        C = _centroids(X, labels, int(labels.max() + 1), weight)
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


def merge_across_groups(X: np.ndarray, labels: np.ndarray, groups: np.ndarray, threshold: float,
                        weight: np.ndarray | None = None, dominance: float = 0.7) -> np.ndarray:
    """Merge pairs of themes dominated by different groups that are mutual nearest across groups.

    A theme is dominated by a group when that group holds at least ``dominance`` of its (weighted)
    rows. Each theme joins at most one partner per other group, so two languages' versions of a
    need become one theme without chaining unrelated needs together. Rows whose group is ``""``
    (language unknown: emoji, numbers) count towards no group.

    Examples
    --------
    >>> X = np.array([[1, 0, 0], [1, 0, 0], [.8, .6, 0], [.8, .6, 0], [0, 0, 1], [0, 0, 1]], dtype=np.float32)
    >>> merge_across_groups(X, np.array([0, 0, 1, 1, 2, 2]), np.array(["en", "en", "zh", "zh", "en", "en"]), 0.55)
    array([0, 0, 0, 0, 2, 2])
    """
    k = int(labels.max() + 1) if (labels >= 0).any() else 0
    values = [v for v in np.unique(groups) if v != ""]
    if k < 2 or len(values) < 2:   # one language (or none known): nothing to merge across
        return labels
    w = np.ones(len(labels)) if weight is None else weight
    share = np.zeros((k, len(values)))
    for g, value in enumerate(values):
        member = (groups == value) & (labels >= 0)
        share[:, g] = np.bincount(labels[member], weights=w[member], minlength=k)
    share /= np.maximum(share.sum(axis=1, keepdims=True), 1e-12)
    dominant = np.where(share.max(axis=1) >= dominance, share.argmax(axis=1), -1)
    C = _centroids(X, labels, k, weight)
    S = C @ C.T
    mapping = np.arange(k)
    for a in range(k):
        for g in set(dominant[dominant >= 0].tolist()) - {int(dominant[a])}:
            if dominant[a] < 0:
                break
            others = np.where(dominant == g)[0]
            b = int(others[S[a, others].argmax()])
            mine = np.where(dominant == dominant[a])[0]
            mutual = int(mine[S[b, mine].argmax()]) == a
            if a < b and mutual and S[a, b] >= threshold:
                mapping[mapping == mapping[b]] = mapping[a]
    return np.where(labels >= 0, mapping[np.maximum(labels, 0)], OTHER)


def unique_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the distinct rows of ``X`` are, in ``np.unique(X, axis=0)`` order, and each row's index in them.

    Returns ``first`` and ``inverse`` with ``X[first]`` equal to ``np.unique(X, axis=0)`` and
    ``X[first][inverse]`` equal to ``X``. ``np.unique(X, axis=0)`` sorts a structured copy of the
    whole matrix (about three copies at peak: 0.7 GB for 154k x 384 float32); here the rows are
    sorted by their first columns and only the index arrays and blocks of rows are copied.

    >>> X = np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float32)
    >>> first, inverse = unique_rows(X)
    >>> X[first].tolist(), inverse.tolist()
    ([[0.0, 1.0], [1.0, 0.0]], [1, 0, 1])
    """
    n = len(X)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = min(4, X.shape[1])
    order = np.lexsort(X[:, :keys].T[::-1])            # column 0 first, as np.unique compares
    same_key = np.zeros(n, dtype=bool)                 # equal to the previous sorted row in the key columns
    same_row = np.zeros(n, dtype=bool)                 # ... and in every column
    for start in range(1, n, _CHUNK):
        stop = min(start + _CHUNK, n)
        cur, prev = X[order[start:stop]], X[order[start - 1:stop - 1]]
        same_key[start:stop] = (cur[:, :keys] == prev[:, :keys]).all(axis=1)
        same_row[start:stop] = (cur == prev).all(axis=1)
    if (same_key & ~same_row).any():
        # Different rows that tie on the key columns: their order needs every column (rare).
        _, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    group = np.cumsum(~same_row) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = group
    return order[~same_row], inverse


# Rows per block when scoring many rows against the centroids: bounds the temporary (16k rows x 700
# themes of similarities is 45 MB; 65k rows was 190 MB at 1M reviews) at no cost in speed.
_CHUNK = 16_384


def nearest_centroid(X: np.ndarray, rows: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``X[rows]``: the most similar centroid and that cosine, computed in blocks of rows."""
    best = np.empty(len(rows), dtype=int)
    best_sim = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), _CHUNK):
        part = rows[start:start + _CHUNK]
        sims = X[part] @ C.T
        best[start:start + len(part)] = sims.argmax(axis=1)
        best_sim[start:start + len(part)] = sims.max(axis=1)
    return best, best_sim


def own_similarity(X: np.ndarray, labels: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Cosine of each row to its own theme's centroid (0 for "other"), in blocks of rows."""
    out = np.zeros(len(labels), dtype=np.float32)
    for start in range(0, len(labels), _CHUNK):
        lab = labels[start:start + _CHUNK]
        member = lab >= 0
        rows = X[start:start + _CHUNK][member]
        out[start:start + _CHUNK][member] = np.einsum("ij,ij->i", rows, C[lab[member]])
    return out


def _mean(values: np.ndarray, weight: np.ndarray | None) -> float:
    return float(values.mean() if weight is None else np.average(values, weights=weight))


def _centroids(X: np.ndarray, labels: np.ndarray, k: int, weight: np.ndarray | None = None) -> np.ndarray:
    C = np.zeros((k, X.shape[1]), dtype=np.float32)
    for t in range(k):
        mask = labels == t
        if mask.any():
            c = X[mask].mean(axis=0) if weight is None else weight[mask] @ X[mask]
            C[t] = c / (np.linalg.norm(c) or 1.0)
    return C


def _relabel_by_size(labels: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Theme 0 is the largest (in items, when rows carry weights); ids are contiguous; -1 stays "other"."""
    ids, inv = np.unique(labels[labels >= 0], return_inverse=True)
    counts = np.bincount(inv.reshape(-1), weights=None if weight is None else weight[labels >= 0])
    order = ids[np.argsort(-counts, kind="stable")]
    if not len(order):
        return np.full(len(labels), OTHER, dtype=int)
    lookup = np.full(int(order.max()) + 1, OTHER, dtype=int)
    lookup[order] = np.arange(len(order))
    return np.where(labels >= 0, lookup[np.maximum(labels, 0)], OTHER).astype(int)


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
            sub[idx] = _relabel_by_size(found)
    return sub


def __getattr__(name: str):
    # The sample-fit path moved to feedbackiq.themes._sample; the old import path keeps working
    # (imported lazily: _sample imports this module).
    if name in ("fit_sample_then_assign", "representative_sample"):
        from feedbackiq.themes import _sample

        return getattr(_sample, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
