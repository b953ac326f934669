"""Does fitting on a sample cost quality? feedbackiq fitted on everything vs fitted on a sample with the
rest assigned by ``ThemeClusterer.predict`` (``fit_sample_then_assign``, what ``fit`` does above
``max_fit_size``), on the union of the English intent sets and on each set alone.

    python evals/sample_fit.py [--seeds 3] [--union-sizes 5000] [--fraction 0.5] [--only union banking77 ...]

- union: banking77 + clinc150 with out-of-scope + hwu64 + dstc11 insurance (10,569 texts, 314 labels named
  per set), MiniLM, sample ``--union-sizes``;
- per set: every English eval set (MiniLM) and the Chinese smp2020 set (USE, as feedbackiq routes it), with
  ``max_fit_size`` = ``--fraction`` of its distinct texts.

The eval sets are small, so the samples here are 450-5,000 points where at scale the sample is
``max_fit_size`` = 20,000: the harder case (fewer points per theme in the sample). Prints ACC/NMI/ARI,
themes, unassigned share and seconds, mean over seeds, and sample minus all.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_labelled  # noqa: E402
from _metrics import scores  # noqa: E402
from embed_cache import cached_embeddings  # noqa: E402

UNION = [("banking77", "test"), ("clinc150", "test_with_oos"), ("hwu64", "test"), ("dstc11_insurance", "insurance_dev")]
SETS = [("banking77", "test", "minilm"), ("clinc150", "test", "minilm"), ("clinc150", "test_with_oos", "minilm"),
        ("dstc11_insurance", "insurance_dev", "minilm"), ("hwu64", "test", "minilm"),
        ("semeval_restaurants14", "restaurants14_category", "minilm"), ("smp2020_ecdt_zh", "domain", "use")]


def run(X: np.ndarray, labels: list[str], size: int | None, seed: int, params: dict) -> dict:
    from feedbackiq.themes import ThemeClusterer

    t0 = time.perf_counter()
    pred = ThemeClusterer(**{**params, "max_fit_size": size, "random_state": seed}).fit(X).labels_
    return {**scores(labels, pred), "themes": len(set(pred[pred >= 0].tolist())),
            "unassigned": 100 * float((pred < 0).mean()), "seconds": time.perf_counter() - t0}


def compare(name: str, X: np.ndarray, labels: list[str], sizes: list[int], seeds: int, params: dict) -> None:
    n_distinct = len(np.unique(X, axis=0))
    base = None
    for size in [None, *sizes]:
        runs = [run(X, labels, size, seed, params) for seed in range(seeds)]
        m = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        sd = "/".join(f"{np.std([r[k] for r in runs]):.1f}" for k in ("acc", "nmi", "ari"))
        diff = "" if base is None else " ".join(f"{m[k] - base[k]:+5.1f}" for k in ("acc", "nmi", "ari"))
        fitted = "all" if size is None else f"{size} ({100 * size / n_distinct:.0f}%)"
        print(f"| {name} | {fitted} | {m['acc']:.1f} | {m['nmi']:.1f} | {m['ari']:.1f} | {m['themes']:.0f} | "
              f"{m['unassigned']:.1f} | {m['seconds']:.1f} | {sd} | {diff} |", flush=True)
        base = base or m


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--union-sizes", nargs="+", type=int, default=[5000])
    ap.add_argument("--fraction", type=float, default=0.5, help="per set: max_fit_size as a share of its distinct texts")
    ap.add_argument("--only", nargs="+", help="'union' and/or dataset names (default: all)")
    ap.add_argument("--params", default="{}", help="JSON of ThemeClusterer parameters (for tuning)")
    args = ap.parse_args()
    import json

    params = json.loads(args.params)
    print("| set | fitted on | ACC | NMI | ARI | themes | unassigned % | s / run | sd ACC/NMI/ARI | sample - all ACC NMI ARI |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    if not args.only or "union" in args.only:
        labels, parts = [], []
        for d, s in UNION:
            texts, y = load_labelled(d, s)
            labels += [f"{d}:{v}" for v in y]
            parts.append(cached_embeddings(d, s, "minilm", texts))
        compare(f"union ({sum(map(len, parts))} texts, minilm)", np.vstack(parts), labels, args.union_sizes,
                args.seeds, params)
    for d, s, key in SETS:
        if args.only and d not in args.only:
            continue
        texts, y = load_labelled(d, s)
        X = cached_embeddings(d, s, key, texts)
        size = round(args.fraction * len(np.unique(X, axis=0)))
        compare(f"{d}/{s} ({key})", X, y, [size], args.seeds, params)


if __name__ == "__main__":
    main()
