"""Shared loaders for the labelled public datasets in ../shared/datasets (read in place, never copied).

Embeddings of the eval sets are cached under evals/.cache/ (git-ignored) as
``{dataset}__{split}__{model_key}.npy`` so every eval and benchmark reuses them.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

__all__ = ["DATASETS_DIR", "EVAL_SETS", "load_labelled", "cache_path", "precomputed_embedder"]

DATASETS_DIR = Path(os.environ.get("FEEDBACKIQ_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
CACHE_DIR = Path(__file__).resolve().parent / ".cache"

# (dataset folder, csv file stem) -- the sets issue 3 evaluates on
EVAL_SETS: list[tuple[str, str]] = [
    ("banking77", "test"),
    ("clinc150", "test"),
    ("clinc150", "test_with_oos"),
    ("dstc11_insurance", "insurance_dev"),
    ("hwu64", "test"),
    ("semeval_restaurants14", "restaurants14_category"),
    ("smp2020_ecdt_zh", "domain"),
]


def load_labelled(dataset: str, split: str) -> tuple[list[str], list[str]]:
    """Return ``(texts, labels)`` from ``{DATASETS_DIR}/{dataset}/{split}.csv``."""
    path = DATASETS_DIR / dataset / f"{split}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the eval sets live in ../shared/datasets (set FEEDBACKIQ_DATASETS to override)")
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            labels.append(row["label"])
    return texts, labels


def cache_path(dataset: str, split: str, model_key: str) -> Path:
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    return CACHE_DIR / f"{dataset}__{split}__{model_key}.npy"


def precomputed_embedder(texts: list[str], vecs):
    """A feedbackiq Embedder that serves vectors already computed for ``texts`` (benchmarks time the rest)."""
    from feedbackiq.embed import Embedder

    lookup = {t: i for i, t in enumerate(texts)}

    class Precomputed(Embedder):
        model_id, dim, batch_size = "precomputed", vecs.shape[1], 100_000

        def embed_batch(self, batch):
            return vecs[[lookup[t] for t in batch]]

    return Precomputed()
