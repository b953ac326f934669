"""Embed every eval set once per model and keep the vectors in evals/.cache (used by all evals).

    python evals/embed_cache.py [--models minilm use onnx-int8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import EVAL_SETS, cache_path, load_labelled  # noqa: E402


def embedder(key: str):
    from feedbackiq.embed import make_embedder

    return make_embedder(key, cache=False)


def cached_embeddings(dataset: str, split: str, key: str, texts: list[str] | None = None) -> np.ndarray:
    path = cache_path(dataset, split, key)
    if path.exists():
        return np.load(path)
    texts = texts if texts is not None else load_labelled(dataset, split)[0]
    t0 = time.perf_counter()
    vecs = embedder(key).embed(texts)
    dt = time.perf_counter() - t0
    print(f"  embedded {dataset}/{split} with {key}: {len(texts)} texts in {dt:.1f}s ({len(texts) / dt:.0f} texts/s)", flush=True)
    np.save(path, vecs)
    return vecs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["minilm", "use"])
    args = ap.parse_args()
    for key in args.models:
        for dataset, split in EVAL_SETS:
            cached_embeddings(dataset, split, key)


if __name__ == "__main__":
    main()
