"""Does fitting on a sample cost quality? feedbackiq fitted on everything vs on a sample, on the union
of the English intent sets (banking77 + clinc150 with out-of-scope + hwu64 + dstc11 insurance,
10,569 texts, 313 labels named per set), with the rest assigned by the outlier policy.

    python evals/sample_fit.py [--sizes 5000 2500] [--seeds 3] [--embedder onnx-int8]

The eval sets are small, so the sample here is 2,500-5,000 points, where at scale it is
``max_fit_size`` = 20,000: this is the harder case (fewer points per theme in the sample).
Prints ACC/NMI/ARI, themes, unassigned share and seconds, mean over seeds.
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


def main() -> None:
    from feedbackiq.themes import ThemeClusterer

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[5000, 2500])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--embedder", default="minilm", choices=["minilm", "onnx-int8", "onnx-fp32"])
    args = ap.parse_args()
    labels, parts = [], []
    for d, s in UNION:
        texts, y = load_labelled(d, s)
        labels += [f"{d}:{v}" for v in y]
        parts.append(cached_embeddings(d, s, args.embedder, texts))
    X = np.vstack(parts)
    print(f"{len(X)} texts, {len(set(labels))} labels, embedder {args.embedder}")
    print(f"{'fitted on':>10} {'ACC':>5} {'NMI':>5} {'ARI':>5} {'themes':>6} {'unasg%':>6} {'sec':>6}  (sd ACC/NMI/ARI)")
    for size in [None, *args.sizes]:
        runs = []
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            pred = ThemeClusterer(max_fit_size=size, random_state=seed).fit(X).labels_
            runs.append({**scores(labels, pred), "themes": len(set(pred[pred >= 0].tolist())),
                         "unassigned": 100 * float((pred < 0).mean()), "seconds": time.perf_counter() - t0})
        m = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        sd = "/".join(f"{np.std([r[k] for r in runs]):.1f}" for k in ("acc", "nmi", "ari"))
        print(f"{size or 'all':>10} {m['acc']:5.1f} {m['nmi']:5.1f} {m['ari']:5.1f} {m['themes']:6.0f} {m['unassigned']:6.1f} "
              f"{m['seconds']:6.1f}  ({sd})", flush=True)


if __name__ == "__main__":
    main()
