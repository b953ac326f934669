"""Embed every eval set once per model and keep the vectors in evals/.cache (used by all evals).

    python evals/embed_cache.py [--models minilm use onnx-int8] [--large]

``--large`` also embeds the splits of the large labelled unions (``LARGE_SETS``: banking77 train, hwu64
all, smp2019 domain) that ``evals/sample_fit.py`` fits on with the default ``max_fit_size``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import EVAL_SETS, cache_path, load_labelled  # noqa: E402

# Splits beyond EVAL_SETS, for the unions large enough that the default max_fit_size samples
LARGE_SETS: list[tuple[str, str, str]] = [("banking77", "train", "minilm"), ("hwu64", "all", "minilm"),
                                          ("smp2020_ecdt_zh", "smp2019_domain", "use")]


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


def ensure_cached(splits: list[tuple[str, str]], key: str) -> None:
    """Embed the splits not yet in the cache in one pass over their distinct texts, then save each split.

    Identical texts in different splits (hwu64 test is in hwu64 all, clinc150 test in test_with_oos) are
    embedded once and so get the same vector everywhere (a union can then deduplicate by vector).
    """
    missing = [(d, s) for d, s in splits if not cache_path(d, s, key).exists()]
    if not missing:
        return
    texts = {ds: load_labelled(*ds)[0] for ds in missing}
    distinct = sorted({t for ts in texts.values() for t in ts}, key=lambda t: (len(t), t))  # less padding
    t0 = time.perf_counter()
    vecs = embedder(key).embed(distinct, progress=True)
    dt = time.perf_counter() - t0
    print(f"  embedded {len(distinct)} distinct texts of {', '.join(f'{d}/{s}' for d, s in missing)} with {key} in "
          f"{dt:.1f}s ({len(distinct) / dt:.0f} texts/s)", flush=True)
    at = {t: i for i, t in enumerate(distinct)}
    for (d, s), ts in texts.items():
        np.save(cache_path(d, s, key), vecs[[at[t] for t in ts]])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["minilm", "use"])
    ap.add_argument("--large", action="store_true", help="also the LARGE_SETS splits (for their model)")
    args = ap.parse_args()
    for key in args.models:
        extra = [(d, s) for d, s, k in LARGE_SETS if k == key] if args.large else []
        ensure_cached([*EVAL_SETS, *extra], key)


if __name__ == "__main__":
    main()
