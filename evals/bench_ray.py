"""Embedding on a local Ray cluster against embedding in this process, on real texts.

    python evals/bench_ray.py [--n 2000] [--embedder minilm] [--cpus 2] [--dataset banking77] [--assign-rows 50000]

A benchmark: prints numbers, asserts nothing. Uncached on both sides. Prints texts/s in this
process, the time ``ray.init`` takes, texts/s through ``feedbackiq.engine.ray_embed`` (one actor
per CPU) and the largest absolute difference between the two sets of vectors. Then the assignment
step alone: nearest of 50 centroids for ``--assign-rows`` random 384-d unit vectors, in this process
and through ``feedbackiq.engine.ray_map_rows``, and whether the labels agree.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--embedder", default="minilm")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--dataset", default="banking77")
    ap.add_argument("--assign-rows", type=int, default=50_000)   # the object store here is 200 MB
    args = ap.parse_args()

    import ray

    from feedbackiq.embed import make_embedder
    from feedbackiq.engine import ray_embed, ray_map_rows
    from feedbackiq.themes._centroids import nearest_centroid

    texts = pd.read_csv(f"/work/shared/datasets/{args.dataset}/test.csv")["text"].astype(str).tolist()[: args.n]
    t = time.perf_counter()
    local = make_embedder(args.embedder, cache=False).embed(texts)
    t_local = time.perf_counter() - t
    t = time.perf_counter()
    ray.init(num_cpus=args.cpus, object_store_memory=200 * 1024**2, include_dashboard=False, log_to_driver=False)
    t_init = time.perf_counter() - t
    t = time.perf_counter()
    remote = ray_embed(texts, args.embedder, cache=False)
    t_ray = time.perf_counter() - t

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.assign_rows, 384)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    C = X[rng.choice(len(X), 50, replace=False)]

    def assign(block):
        return nearest_centroid(block, np.arange(len(block)), C)

    t = time.perf_counter()
    want = assign(X)
    t_assign_local = time.perf_counter() - t
    t = time.perf_counter()
    got = ray_map_rows(X, assign, batch_size=16_384)
    t_assign_ray = time.perf_counter() - t
    ray.shutdown()
    n = len(texts)
    print(f"{n} texts, {args.embedder}: local {t_local:.1f}s ({n / t_local:.0f} texts/s); ray.init {t_init:.1f}s; "
          f"ray_embed on {args.cpus} CPUs {t_ray:.1f}s ({n / t_ray:.0f} texts/s); "
          f"max |local - ray| {np.abs(local - remote).max():.2e}")
    print(f"assignment of {len(X)} rows to 50 centroids: local {t_assign_local:.2f}s; ray_map_rows on {args.cpus} CPUs "
          f"{t_assign_ray:.2f}s (including moving {X.nbytes / 2**20:.0f} MiB into Ray); labels equal: "
          f"{bool((want[0] == got[0]).all())}")


if __name__ == "__main__":
    main()
