"""Speed and fidelity of the local MiniLM backends: torch vs ONNX fp32 vs ONNX int8 vs static (prints numbers).

    python evals/bench_embedders.py [--n 2000] [--backends minilm onnx-fp32 onnx-int8 minilm-static]

The same ``--n`` texts (the first of banking77, clinc150, hwu64 and dstc11_insurance, in turn)
go through each backend in one process, after a warm-up (the ONNX export, when not yet cached,
happens there). Cosine is to the torch vectors (sentence-transformers), per text; the static model
(``minilm-static``, made by ``evals/distill_static.py``) has its own space (256 PCA dimensions), so it
has no cosine to torch: its quality is measured by theme discovery (``run_themes.py --embedder minilm-static``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_themes import SOURCES  # noqa: E402
from _data import load_labelled  # noqa: E402


def main() -> None:
    from feedbackiq.embed import make_embedder

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--backends", nargs="+", default=["minilm", "onnx-fp32", "onnx-int8", "minilm-static"],
                    help="the first one is the reference for cosine")
    args = ap.parse_args()
    pools = [load_labelled(d, s)[0] for d, s in SOURCES]
    texts = [pool[i] for i in range(max(map(len, pools))) for pool in pools if i < len(pool)][: args.n]
    ref = None
    print(f"{len(texts)} texts; {'backend':13} {'texts/s':>8} {'x torch':>7} {'cos mean':>8} {'cos min':>8}")
    for name in args.backends:
        emb = make_embedder(name, cache=False)
        emb.embed(["warm up"])
        t0 = time.perf_counter()
        v = emb.embed(texts)
        rate = len(texts) / (time.perf_counter() - t0)
        if ref is None:
            ref, base = v, rate
        cos = f"{(v * ref).sum(axis=1).mean():>8.4f} {(v * ref).sum(axis=1).min():>8.4f}" if v.shape == ref.shape else f"{'-':>8} {'-':>8}"
        print(f"{'':{len(str(len(texts))) + 8}}{name:13} {rate:>8.0f} {rate / base:>7.2f} {cos}", flush=True)


if __name__ == "__main__":
    main()
