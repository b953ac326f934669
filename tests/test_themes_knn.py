"""Exact cosine neighbours for UMAP: equal to a full sort of all distances, across blocks."""

import numpy as np

from feedbackiq.themes import _knn
from feedbackiq.themes._knn import exact_cosine_knn


def test_exact_neighbours_equal_a_full_sort(monkeypatch):
    monkeypatch.setattr(_knn, "_BLOCK", 128)   # several blocks, one of them partial
    rng = np.random.default_rng(0)
    X = rng.normal(size=(700, 16)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    idx, dist = exact_cosine_knn(X, 15)
    D = 1.0 - X @ X.T
    np.fill_diagonal(D, -1.0)
    expected = np.argsort(D, axis=1, kind="stable")[:, :15]
    assert (idx == expected).all()
    assert (idx[:, 0] == np.arange(700)).all() and (dist[:, 0] == 0).all()
    assert np.allclose(dist[:, 1:], np.take_along_axis(1.0 - X @ X.T, idx[:, 1:], axis=1), atol=1e-6)
    assert (np.diff(dist, axis=1) >= 0).all()


def test_duplicates_and_k_equal_to_n():
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    idx, dist = exact_cosine_knn(X, 3)
    assert idx.tolist() == [[0, 1, 2], [1, 0, 2], [2, 0, 1]]
    assert dist[:2, :2].max() == 0 and np.allclose(dist[:, 2], 1.0) and dist[2, 0] == 0
