"""Exact cosine nearest neighbours for UMAP, on the sizes a theme fit sees.

Why: UMAP finds neighbours with pynndescent above 4,096 rows, and pynndescent's numba functions are
compiled again in every new process, before the first theme of every run, whatever its size. Up to a
few tens of thousands of rows the exact neighbours are a few seconds of matrix products, and they are
the neighbours pynndescent approximates (evals/README.md, "Scale: 1M rows end to end").
"""

from __future__ import annotations

import numpy as np

__all__ = ["EXACT_KNN_ROWS", "exact_cosine_knn"]

# UMAP itself is exact below 4,096 rows; above this many the n^2 products cost more than pynndescent.
EXACT_KNN_ROWS = (4_096, 30_000)
_BLOCK = 512   # rows per product: bounds the similarities and their argpartition (evals/README.md, "Measurements behind the code")


def exact_cosine_knn(X: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest rows of every row by cosine distance, itself first (UMAP's ``precomputed_knn``).

    Parameters
    ----------
    X : ndarray of shape (n, dim)
        Rows with unit norm (cosine similarity is then the dot product).
    k : int
        Neighbours per row, the row itself included (``k <= n``).

    Returns
    -------
    indices : ndarray of shape (n, k), int64
        Nearest first; ties in the order of the rows.
    distances : ndarray of shape (n, k), float32
        ``1 - cosine similarity``, never below 0.

    Examples
    --------
    >>> X = np.array([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    >>> idx, dist = exact_cosine_knn(X, 2)
    >>> idx.tolist(), dist.astype(float).round(2).tolist()
    ([[0, 1], [1, 0], [2, 1], [3, 2]], [[0.0, 0.2], [0.0, 0.2], [0.0, 0.4], [0.0, 1.0]])
    """
    n = len(X)
    X = np.asarray(X, dtype=np.float32)
    indices = np.empty((n, k), dtype=np.int64)
    distances = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _BLOCK):
        S = X[start:start + _BLOCK] @ X.T
        rows = np.arange(len(S))
        S[rows, start + rows] = np.inf     # a row is its own nearest, whatever the rounding
        part = np.argpartition(-S, k - 1, axis=1)[:, :k] if k < n else np.broadcast_to(np.arange(n), S.shape)
        sims = np.take_along_axis(S, part, axis=1)
        # Nearest first; equal similarities by row number, so the result does not depend on the block.
        order = np.lexsort((part, -sims), axis=1)
        indices[start:start + len(S)] = np.take_along_axis(part, order, axis=1)
        sims = np.take_along_axis(sims, order, axis=1)
        sims[:, 0] = 1.0
        distances[start:start + len(S)] = np.maximum(1.0 - sims, 0.0)
    return indices, distances
