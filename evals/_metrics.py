"""Clustering scores against labels: ACC (Hungarian matching), NMI, ARI, all in percent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["acc_hungarian", "scores"]


def acc_hungarian(labels: Sequence, pred: Sequence) -> float:
    """Best one-to-one matching of predicted clusters to labels; unmatched clusters count as wrong."""
    from scipy.optimize import linear_sum_assignment

    _, y = np.unique(np.asarray(labels), return_inverse=True)
    _, p = np.unique(np.asarray(pred), return_inverse=True)
    table = np.zeros((p.max() + 1, y.max() + 1), dtype=np.int64)
    np.add.at(table, (p, y), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(y))


def scores(labels: Sequence, pred: Sequence) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "acc": 100 * acc_hungarian(labels, pred),
        "nmi": 100 * normalized_mutual_info_score(labels, pred),
        "ari": 100 * adjusted_rand_score(labels, pred),
    }
