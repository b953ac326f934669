"""The reduction before HDBSCAN: UMAP (cosine, to a few dimensions), PCA, or none.

Why the UMAP settings:
- Exact cosine neighbours from 4,096 to 30,000 rows (``feedbackiq.themes._knn``): pynndescent's
  kernels are compiled in every process, the exact neighbours are seconds of matrix products.
- UMAP's own uncached kernels get numba's disk cache (``feedbackiq.themes._numba_cache``).
- 200 layout epochs from ``FAST_LAYOUT_ROWS`` rows; UMAP's own switch from 500 to 200 is at 10,000.
  Below it fewer epochs cost quality for little time (evals/README.md, "UMAP epochs").
- ``random_state`` fixed, so the layout is single-threaded and reproducible.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FAST_LAYOUT_EPOCHS", "FAST_LAYOUT_ROWS", "reduce_dimensions"]

FAST_LAYOUT_ROWS = 4_096
FAST_LAYOUT_EPOCHS = 200


def reduce_dimensions(X: np.ndarray, method: str | None, n_components: int, n_neighbors: int,
                      n_epochs: int | None, random_state: int) -> np.ndarray:
    """``X`` (unit rows) reduced to ``n_components`` (clipped for tiny inputs) by ``method``.

    Parameters
    ----------
    X : ndarray of shape (n, dim)
    method : {"umap", "pca", None}
        ``None``, or ``dim`` already at most ``n_components``: ``X`` itself.
    n_components, n_neighbors : int
        Target dimensions; UMAP neighbourhood (clipped to ``n - 1``).
    n_epochs : int or None
        UMAP layout epochs; ``None``: ``FAST_LAYOUT_EPOCHS`` from ``FAST_LAYOUT_ROWS`` rows, else UMAP's.
    random_state : int

    Returns
    -------
    ndarray of shape (n, k)
    """
    n, d = X.shape
    k = max(2, min(n_components, d, n - 2))
    if method is None or d <= k:
        return X
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=k, random_state=random_state).fit_transform(X)
    import warnings

    from umap import UMAP

    from feedbackiq.themes._knn import EXACT_KNN_ROWS, exact_cosine_knn
    from feedbackiq.themes._numba_cache import cache_umap_kernels

    cache_umap_kernels()   # compiled once per machine, not once per process
    n_neighbors = max(2, min(n_neighbors, n - 1))
    knn = exact_cosine_knn(X, n_neighbors) if EXACT_KNN_ROWS[0] <= n <= EXACT_KNN_ROWS[1] else (None, None, None)
    if n_epochs is None and n >= FAST_LAYOUT_ROWS:
        n_epochs = FAST_LAYOUT_EPOCHS
    with warnings.catch_warnings():  # "n_jobs overridden by random_state" is expected: we want reproducibility
        warnings.simplefilter("ignore")
        reducer = UMAP(n_neighbors=n_neighbors, n_components=k, min_dist=0.0, metric="cosine",
                       random_state=random_state, init="spectral" if n > 50 else "random", precomputed_knn=knn,
                       n_epochs=n_epochs)
        return reducer.fit_transform(X)
