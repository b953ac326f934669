"""Item embeddings -> 2-D positions for the report's map."""

from __future__ import annotations

import numpy as np

from feedbackiq._errors import InputError

__all__ = ["project_2d", "PCA_FIT_ROWS"]

# Above this many rows the two axes are found on a seeded sample (the top-2 principal
# directions of 50k rows are already stable) and every row is projected: linear in n.
PCA_FIT_ROWS = 50_000


def project_2d(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """Project embeddings onto their two main directions (PCA), for a map of the items.

    PCA keeps the picture honest about distances (a straight projection, nothing invented) and is
    fast; themes that are close in meaning land close together.

    Parameters
    ----------
    vectors : ndarray of shape (n_items, n_dims)
        One embedding per item, e.g. ``feedbackiq.themes.embed_items(items, embedder)``.
    seed : int, default 0
        Seeds the row sample used above ``PCA_FIT_ROWS`` rows.

    Returns
    -------
    ndarray of shape (n_items, 2)
        Same input and seed -> same positions (axis signs are fixed, not left to the solver).

    Raises
    ------
    InputError
        When ``vectors`` is not 2-D or holds NaN/inf (the first bad row is named).

    Examples
    --------
    >>> import numpy as np
    >>> project_2d(np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0]])).round(3) + 0.0
    array([[-1.,  0.],
           [ 0.,  0.],
           [ 1.,  0.]])
    """
    X = np.asarray(vectors)
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    if X.ndim != 2:
        raise InputError(f"project_2d needs a 2-D array (items x dimensions), got shape {X.shape}")
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise InputError(f"project_2d: row {int(np.argmax(bad))} of the vectors holds NaN or infinite values")
    n, d = X.shape
    if n == 0:
        return np.zeros((0, 2))
    fit = X if n <= PCA_FIT_ROWS else X[np.sort(np.random.default_rng(seed).choice(n, PCA_FIT_ROWS, replace=False))]
    fit = fit.astype(np.float64)
    mean = fit.mean(axis=0)
    axes = np.zeros((2, d))
    if n > 1:
        from sklearn.utils.extmath import randomized_svd

        # Only the top 2 directions are needed: a randomized SVD costs O(n * d), a full one O(n * d^2).
        _, _, vt = randomized_svd(fit - mean, n_components=min(2, d), n_iter=7, random_state=seed)
        axes[: len(vt)] = vt
    # An eigenvector's sign is arbitrary: make each axis's largest loading positive.
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(axis=1)])
    axes *= np.where(signs == 0, 1.0, signs)[:, None]
    # No centred copy of X (as large as X itself): project, then shift.
    return (X @ axes.T.astype(X.dtype)).astype(np.float64) - mean @ axes.T
