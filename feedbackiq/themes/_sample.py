"""The sample ``ThemeClusterer`` fits on above ``max_fit_size`` distinct vectors, and its neighbourhoods.

The fit itself is ``ThemeClusterer``'s (``fit``, ``fit_sample_then_assign`` in ``_cluster.py``); these are
the pure functions it uses. Why each step:
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

Quality against fitting everything: evals/README.md, "Fitting on a sample".
"""

from __future__ import annotations

import numpy as np

__all__ = ["representative_sample", "sample_neighbourhood", "typical_theme_size"]


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
    about its ``15 * share`` nearest in the sample (evals/README.md, "Fitting on a sample"). Floors
    (5 and 2) keep UMAP and HDBSCAN meaningful on small shares.

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
