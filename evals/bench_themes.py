"""Speed and memory of the theme pipeline at 10k and 100k items (a benchmark: prints numbers, asserts nothing).

    python evals/bench_themes.py [--sizes 10000 100000] [--reduction umap]

Texts are real: sampled with replacement from the public English eval sets, each
lightly perturbed (one word dropped or two swapped) so that repeats are not
byte-identical and every item is really embedded. Stages: bare embedding with
MiniLM (no cache), then find_themes on the precomputed vectors (cluster =
reduction + HDBSCAN + outlier policy + sub-themes; describe = keywords, quotes,
breakdowns; needs = grouping, describing and naming the needs, and the assignments). Each size runs in a fresh process so peak RSS is per size.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_labelled, precomputed_embedder  # noqa: E402

SOURCES = [("banking77", "test"), ("clinc150", "test"), ("hwu64", "test"), ("dstc11_insurance", "insurance_dev")]


def iter_texts(n: int, seed: int = 0, rng: random.Random | None = None):
    """``n`` real texts from the eval sets, each with one word dropped or two swapped (a generator)."""
    pool: list[str] = []
    for d, s in SOURCES:
        pool += load_labelled(d, s)[0]
    rng = rng or random.Random(seed)
    for _ in range(n):
        words = rng.choice(pool).split()
        if len(words) > 3:
            i = rng.randrange(len(words) - 1)
            if rng.random() < 0.5:
                del words[i]
            else:
                words[i], words[i + 1] = words[i + 1], words[i]
        yield " ".join(words)


def make_texts(n: int, seed: int = 0) -> list[str]:
    return list(iter_texts(n, seed))


def one_size(n: int, reduction: str) -> dict:
    import feedbackiq as fiq
    from feedbackiq.embed import MiniLMEmbedder
    from feedbackiq.themes import ThemeClusterer

    texts = make_texts(n)
    unique = list(dict.fromkeys(texts))
    emb = MiniLMEmbedder()
    emb.embed(["warm up"])
    t0 = time.perf_counter()
    vecs = emb.embed(unique)
    t_embed = time.perf_counter() - t0
    fs = fiq.FeedbackSet(items=[fiq.FeedbackItem(id=f"b{i}", text=t, source="review", language="en") for i, t in enumerate(texts)])
    t0 = time.perf_counter()
    report = fiq.find_themes(fs, embedder=precomputed_embedder(unique, vecs), clusterer=ThemeClusterer(reduction=reduction))
    total_after = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = report.timings
    return {"n": n, "unique_texts": len(unique), "embed_s": t_embed, "texts_per_s": len(unique) / t_embed,
            "cluster_s": t["cluster"], "describe_s": t["describe"], "needs_s": t.get("needs", 0.0),
            "after_embed_s": total_after, "after_embed_vs_embed": total_after / t_embed, "themes": len(report.themes),
            "needs": len(report.needs), "peak_rss_mb": peak_mb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    ap.add_argument("--reduction", default="umap", choices=["umap", "pca"])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.reduction)))
        return
    print(f"{'items':>8} {'texts/s':>8} {'embed s':>8} {'cluster s':>9} {'describe s':>10} {'needs s':>8} {'needs %':>8} "
          f"{'after/embed':>11} {'themes':>6} {'needs':>5} {'peak RSS MB':>11}")
    for n in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--reduction", args.reduction],
                              capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        # needs %: the need level's share of find_themes (the goal is at most 10% added)
        share = 100 * r["needs_s"] / max(r["after_embed_s"] - r["needs_s"], 1e-9)
        print(f"{r['n']:>8} {r['texts_per_s']:>8.0f} {r['embed_s']:>8.1f} {r['cluster_s']:>9.1f} {r['describe_s']:>10.1f} "
              f"{r['needs_s']:>8.1f} {share:>7.1f}% {100 * r['after_embed_vs_embed']:>10.1f}% {r['themes']:>6} {r['needs']:>5} "
              f"{r['peak_rss_mb']:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
