"""Rows against theme centroids, in blocks of rows: the arithmetic that fitting, sample fits and
``find_themes`` share (distinct rows, centroids, nearest centroid, relabelling, cross-language merge)."""

from __future__ import annotations

import numpy as np

__all__ = ["OTHER", "BLOCK_ROWS", "unique_rows", "nearest_centroid", "own_similarity", "theme_centroids",
           "weighted_mean", "relabel_by_size", "merge_across_groups"]

OTHER = -1

# Rows per block when scoring many rows against the centroids: bounds the temporary similarities at no
# cost in speed (evals/README.md, "Scale: 1M rows end to end").
BLOCK_ROWS = 16_384


def unique_rows(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the distinct rows of ``X`` are, in ``np.unique(X, axis=0)`` order, and each row's index in them.

    Returns ``first`` and ``inverse`` with ``X[first]`` equal to ``np.unique(X, axis=0)`` and
    ``X[first][inverse]`` equal to ``X``. ``np.unique(X, axis=0)`` sorts a structured copy of the
    whole matrix (about three copies at peak); here the rows are sorted by their first columns and
    only the index arrays and blocks of rows are copied.

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
    for start in range(1, n, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, n)
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


def nearest_centroid(X: np.ndarray, rows: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ``X[rows]``: the most similar centroid and that cosine, computed in blocks of rows."""
    best = np.empty(len(rows), dtype=int)
    best_sim = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), BLOCK_ROWS):
        part = rows[start:start + BLOCK_ROWS]
        sims = X[part] @ C.T
        best[start:start + len(part)] = sims.argmax(axis=1)
        best_sim[start:start + len(part)] = sims.max(axis=1)
    return best, best_sim


def own_similarity(X: np.ndarray, labels: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Cosine of each row to its own theme's centroid (0 for "other"), in blocks of rows."""
    out = np.zeros(len(labels), dtype=np.float32)
    for start in range(0, len(labels), BLOCK_ROWS):
        lab = labels[start:start + BLOCK_ROWS]
        member = lab >= 0
        rows = X[start:start + BLOCK_ROWS][member]
        out[start:start + BLOCK_ROWS][member] = np.einsum("ij,ij->i", rows, C[lab[member]])
    return out


def weighted_mean(values: np.ndarray, weight: np.ndarray | None) -> float:
    return float(values.mean() if weight is None else np.average(values, weights=weight))


def theme_centroids(X: np.ndarray, labels: np.ndarray, k: int, weight: np.ndarray | None = None) -> np.ndarray:
    C = np.zeros((k, X.shape[1]), dtype=np.float32)
    for t in range(k):
        mask = labels == t
        if mask.any():
            c = X[mask].mean(axis=0) if weight is None else weight[mask] @ X[mask]
            C[t] = c / (np.linalg.norm(c) or 1.0)
    return C


def relabel_by_size(labels: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Theme 0 is the largest (in items, when rows carry weights); ids are contiguous; -1 stays "other"."""
    ids, inv = np.unique(labels[labels >= 0], return_inverse=True)
    counts = np.bincount(inv.reshape(-1), weights=None if weight is None else weight[labels >= 0])
    order = ids[np.argsort(-counts, kind="stable")]
    if not len(order):
        return np.full(len(labels), OTHER, dtype=int)
    lookup = np.full(int(order.max()) + 1, OTHER, dtype=int)
    lookup[order] = np.arange(len(order))
    return np.where(labels >= 0, lookup[np.maximum(labels, 0)], OTHER).astype(int)


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
    C = theme_centroids(X, labels, k, weight)
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
