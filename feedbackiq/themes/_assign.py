"""Assigning rows outside a fitted sample: the nearest theme centroid, corrected by the nearest sampled texts.

Why: the nearest centroid alone misplaces rows of a theme that is not round (two lobes, a long shape)
whose centroid lies nearer another theme's. Fitted on everything, HDBSCAN keeps such rows in their
theme, because it follows the density of the texts; after a sample fit, a new row has only the
centroids unless it also looks at the sampled texts near it.

The vote alone does worse than the centroid (a single text's neighbours are noisy), so it only adds a
bounded term to each theme's centroid similarity, and only among the row's nearest centroids (their
sampled members are where its nearest sampled texts are). The settings below were chosen on the eval
union; the numbers are in evals/README.md, "The assignment of the rows outside the sample".
"""

from __future__ import annotations

import numpy as np

__all__ = ["centroid_vote", "VOTE_NEIGHBOURS", "VOTE_WEIGHT", "VOTE_TEMPERATURE", "VOTE_THEMES"]

# How many nearest sampled texts vote.
VOTE_NEIGHBOURS = 15
# The vote adds up to this to a theme's centroid cosine: enough to overturn a near tie between
# centroids, never a clear one.
VOTE_WEIGHT = 0.2
# A neighbour's vote is exp((its cosine - the nearest one's) / this): the nearest texts count most.
VOTE_TEMPERATURE = 0.05
# Only the sampled members of the row's nearest few centroids are searched.
VOTE_THEMES = 5
# Rows per block: bounds the temporaries (16k rows x themes of centroid similarities).
_BLOCK = 16_384


def centroid_vote(X: np.ndarray, centroids: np.ndarray, vectors: np.ndarray, vector_labels: np.ndarray,
                  n_neighbors: int = VOTE_NEIGHBOURS, weight: float = VOTE_WEIGHT,
                  temperature: float = VOTE_TEMPERATURE, n_themes: int = VOTE_THEMES) -> tuple[np.ndarray, np.ndarray]:
    """Each row's theme by centroid similarity plus a vote of its nearest labelled vectors.

    For each row, among its ``n_themes`` most similar centroids ``t``: score
    ``cos(x, centroids[t]) + weight * vote[t]``, where ``vote[t]`` is the share of the
    similarity-weighted vote (``exp((cos - nearest cos) / temperature)``) of the row's
    ``n_neighbors`` most similar ``vectors`` (searched among those themes' members) that falls in
    ``t``. Rows are independent: any split into batches gives the same result.

    Parameters
    ----------
    X : ndarray of shape (n, dim)
        Unit rows.
    centroids : ndarray of shape (n_themes_, dim)
        Unit theme centroids.
    vectors : ndarray of shape (m, dim)
        Unit vectors with known themes (the sampled texts in a theme).
    vector_labels : ndarray of int, shape (m,)
        Their themes (``0 .. n_themes_ - 1``).
    n_neighbors, weight, temperature, n_themes
        See the module constants.

    Returns
    -------
    theme : ndarray of int, shape (n,)
    similarity : ndarray of float32, shape (n,)
        Cosine of each row to its theme's centroid.

    Examples
    --------
    A theme in two lobes (``x`` and ``y``) whose centroid lies nearer the other theme's for a row
    in the ``x`` lobe: the nearest centroid is theme 1, the nearest texts say theme 0.

    >>> lobes = np.array([[1, 0, 0], [0, 1, 0]] * 10, dtype=np.float32)
    >>> other = np.tile(np.array([[1, 0.6, 0.5]], dtype=np.float32) / 1.2689, (20, 1))
    >>> vectors, vector_labels = np.vstack([lobes, other]), np.repeat([0, 1], 20)
    >>> centroids = np.array([[0.7071, 0.7071, 0], [1 / 1.2689, 0.6 / 1.2689, 0.5 / 1.2689]], dtype=np.float32)
    >>> x = np.array([[1, 0.25, 0.15]], dtype=np.float32) / 1.0416
    >>> (x @ centroids.T).argmax(axis=1).tolist(), centroid_vote(x, centroids, vectors, vector_labels)[0].tolist()
    ([1], [0])
    """
    n, k = len(X), len(centroids)
    m = min(n_themes, k)
    theme = np.empty(n, dtype=np.int64)
    similarity = np.empty(n, dtype=np.float32)
    # The vectors grouped by theme, so each theme's members are one slice.
    order = np.argsort(vector_labels, kind="stable")
    starts = np.r_[0, np.cumsum(np.bincount(vector_labels, minlength=k))]
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the per-theme products are small, and threaded OpenBLAS spins on them when another
    # process holds the other core (evals/README.md, "The assignment of the rows outside the sample").
    with threadpool_limits(1, "blas"):
        for b0 in range(0, n, _BLOCK):
            Xb = X[b0:b0 + _BLOCK]
            nb = len(Xb)
            sims = Xb @ centroids.T
            top = np.argpartition(-sims, m - 1, axis=1)[:, :m] if m < k else np.tile(np.arange(k), (nb, 1))
            # Each row's n_neighbors most similar members of each of its top themes (-inf: none).
            cand = np.full((nb, m, n_neighbors), -np.inf, dtype=np.float32)
            flat_top = top.ravel()
            by_theme = np.argsort(flat_top, kind="stable")
            bounds = np.r_[0, np.cumsum(np.bincount(flat_top, minlength=k))]
            for t in np.nonzero((bounds[1:] > bounds[:-1]) & (starts[1:] > starts[:-1]))[0]:
                where = by_theme[bounds[t]:bounds[t + 1]]
                rows, slot = where // m, where % m
                S = Xb[rows] @ vectors[order[starts[t]:starts[t + 1]]].T
                kk = min(n_neighbors, S.shape[1])
                if kk < S.shape[1]:
                    S = np.partition(S, S.shape[1] - kk, axis=1)[:, -kk:]
                cand[rows, slot, :kk] = S
            flat = cand.reshape(nb, m * n_neighbors)
            if flat.shape[1] > n_neighbors:   # exactly the n_neighbors nearest over the row's top themes
                keep = np.argpartition(flat, flat.shape[1] - n_neighbors, axis=1)[:, -n_neighbors:]
                nearest_k = np.full_like(flat, -np.inf)
                np.put_along_axis(nearest_k, keep, np.take_along_axis(flat, keep, axis=1), axis=1)
                flat = nearest_k
            nearest = flat.max(axis=1, keepdims=True)
            nearest = np.where(np.isfinite(nearest), nearest, 0.0)
            votes = np.exp((flat - nearest) / temperature).reshape(nb, m, n_neighbors).sum(axis=2)
            share = votes / np.maximum(votes.sum(axis=1, keepdims=True), 1e-12)
            pick = (np.take_along_axis(sims, top, axis=1) + weight * share).argmax(axis=1)
            theme[b0:b0 + nb] = top[np.arange(nb), pick]
            similarity[b0:b0 + nb] = sims[np.arange(nb), theme[b0:b0 + nb]]
    return theme, similarity
