"""Keywords per theme by class-based TF-IDF, for Chinese, English and other languages.

Texts are split into content words by :func:`feedbackiq._tokenize.tokenize`. c-TF-IDF (as in
BERTopic) treats each theme as one document: a term scores high when frequent in the theme and
rare across themes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from feedbackiq._tokenize import tokenize

__all__ = ["class_tfidf_keywords"]


def class_tfidf_keywords(docs: Sequence[str], labels: Sequence[int], top_n: int = 10,
                         tokens: Sequence[list[str]] | None = None,
                         weights: Sequence[float] | None = None) -> dict[int, list[str]]:
    """Top ``top_n`` c-TF-IDF terms for every label >= 0.

    ``tokens`` may pass pre-tokenised docs (so large sets are tokenised once).
    ``weights`` says how many documents each one stands for (each distinct text once,
    with its count: the same keywords as every copy, without a million-row matrix).
    Terms used by a single document are ignored in sets of 50+ documents: a
    keyword should be shared by several voices.
    """
    from scipy import sparse
    from sklearn.feature_extraction.text import CountVectorizer

    toks = list(tokens) if tokens is not None else [tokenize(d) for d in docs]
    labels = np.asarray(labels)
    keep = labels >= 0
    if not keep.any():
        return {}
    toks_kept = [t for t, k in zip(toks, keep) if k]
    if not any(toks_kept):
        return {int(c): [] for c in np.unique(labels[keep])}
    w = np.ones(len(toks_kept)) if weights is None else np.asarray(weights, dtype=float)[keep]
    vec = CountVectorizer(analyzer=lambda t: t)
    counts = vec.fit_transform(toks_kept)
    vocab = np.asarray(vec.get_feature_names_out())
    if w.sum() >= 50:   # document frequency counted in (weighted) documents
        shared = np.asarray((counts > 0).T @ w).ravel() >= 2
        if shared.any():   # else every term is below it: keep them all
            counts, vocab = counts[:, np.where(shared)[0]], vocab[shared]
    classes, inv = np.unique(labels[keep], return_inverse=True)
    onehot = sparse.csr_matrix((w, (inv, np.arange(len(inv)))), shape=(len(classes), len(inv)))
    tf = (onehot @ counts).toarray().astype(float)
    avg_words = tf.sum() / len(classes)
    idf = np.log1p(avg_words / np.maximum(tf.sum(axis=0), 1.0))
    scores = tf * idf
    out: dict[int, list[str]] = {}
    for i, c in enumerate(classes):
        order = np.argsort(-scores[i], kind="stable")
        out[int(c)] = [str(vocab[j]) for j in order[:top_n] if scores[i, j] > 0]
    return out
