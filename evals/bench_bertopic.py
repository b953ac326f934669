"""feedbackiq vs BERTopic on the same texts and the same embeddings: time, peak RSS, ACC/NMI/ARI and ratios.

    python evals/bench_bertopic.py --bertopic-python /work/bench-venv/bin/python [--sets banking77/test ...] [--seeds 3]

BERTopic is never a feedbackiq dependency: it runs in its own environment (set-up in
evals/README.md), in a separate process, given the cached eval-set embeddings (``embeddings=``), with its
defaults (UMAP 15/5/0.0 cosine, HDBSCAN min_cluster_size=10, c-TF-IDF topic words). feedbackiq runs
``find_themes`` (clustering, outlier policy, merges, sub-themes, keywords, quotes, breakdowns) on the
same vectors. Each run is its own process, so peak RSS is per run (it includes each library's imports).
Ratios are feedbackiq / BERTopic. A benchmark: prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import EVAL_SETS, cache_path, load_labelled, precomputed_embedder  # noqa: E402
from _metrics import scores  # noqa: E402

ENGLISH_SETS = [f"{d}/{s}" for d, s in EVAL_SETS if d != "smp2020_ecdt_zh"]


def run_feedbackiq(texts: list[str], X: np.ndarray, seed: int) -> np.ndarray:
    import feedbackiq as fiq

    fs = fiq.FeedbackSet(items=[fiq.FeedbackItem(id=f"e{i}", text=t, source="other", language="en") for i, t in enumerate(texts)])
    unique = list(dict.fromkeys(texts))
    first = {t: i for i, t in reversed(list(enumerate(texts)))}
    report = fiq.find_themes(fs, embedder=precomputed_embedder(unique, X[[first[t] for t in unique]]), seed=seed)
    return np.array([a.theme_id for a in report.assignments])


def run_bertopic(texts: list[str], X: np.ndarray, seed: int) -> np.ndarray:
    from bertopic import BERTopic
    from umap import UMAP

    # BERTopic's default UMAP, with a seed so runs are repeatable like feedbackiq's.
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(texts, embeddings=X)
    return np.asarray(topics)


def one_run(method: str, name: str, seed: int) -> dict:
    dataset, split = name.split("/")
    texts, labels = load_labelled(dataset, split)
    X = np.load(cache_path(dataset, split, "minilm"))
    t0 = time.perf_counter()
    pred = (run_feedbackiq if method == "feedbackiq" else run_bertopic)(texts, X, seed)
    seconds = time.perf_counter() - t0
    return {**scores(labels, pred), "seconds": seconds, "themes": len(set(pred[pred >= 0].tolist())),
            "unassigned": 100 * float((pred < 0).mean()),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=ENGLISH_SETS)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--bertopic-python", default="/work/bench-venv/bin/python",
                    help="python of the environment where bertopic is installed")
    ap.add_argument("--one", nargs=3, metavar=("METHOD", "SET", "SEED"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_run(args.one[0], args.one[1], int(args.one[2]))))
        return
    from embed_cache import cached_embeddings

    keys = ["acc", "nmi", "ari", "themes", "unassigned", "seconds", "peak_rss_mb"]
    print(f"{'set':32} {'method':10} {'ACC':>5} {'NMI':>5} {'ARI':>5} {'themes':>6} {'unasg%':>6} {'sec':>6} {'peak MB':>7}")
    for name in args.sets:
        dataset, split = name.split("/")
        cached_embeddings(dataset, split, "minilm")   # both sides read these vectors
        means = {}
        for method, python in (("feedbackiq", sys.executable), ("bertopic", args.bertopic_python)):
            runs = []
            for seed in range(args.seeds):
                proc = subprocess.run([python, __file__, "--one", method, name, str(seed)], capture_output=True, text=True)
                if proc.returncode:
                    sys.exit(f"{method} on {name} failed:\n{proc.stderr[-2000:]}")
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            means[method] = m = {k: float(np.mean([r[k] for r in runs])) for k in keys}
            print(f"{name:32} {method:10} {m['acc']:5.1f} {m['nmi']:5.1f} {m['ari']:5.1f} {m['themes']:6.0f} "
                  f"{m['unassigned']:6.1f} {m['seconds']:6.1f} {m['peak_rss_mb']:7.0f}", flush=True)
        f, b = means["feedbackiq"], means["bertopic"]
        print(f"{name:32} {'ratio':10} {f['acc'] / b['acc']:5.2f} {f['nmi'] / b['nmi']:5.2f} {f['ari'] / max(b['ari'], 1e-9):5.2f} "
              f"{'':6} {'':6} {f['seconds'] / b['seconds']:6.2f} {f['peak_rss_mb'] / b['peak_rss_mb']:7.2f}", flush=True)


if __name__ == "__main__":
    main()
