"""Theme discovery against public labelled sets, never told the number of labels.

    python evals/run_themes.py [--sets banking77/test clinc150/test ...] [--params '{"n_components": 10}']
                               [--embedder onnx-int8]

Prints per set, averaged over --seeds runs (default 3), ACC (Hungarian) / NMI / ARI, themes found vs true, share unassigned
and wall time, for feedbackiq's default ThemeClusterer, a BERTopic-default
equivalent (UMAP 15/5/0.0 cosine + HDBSCAN mcs=10 eom, noise as its own cluster)
and k-means given the true K, all on the same cached embeddings. The default
model is chosen per set by feedbackiq's language routing (MiniLM for English,
USE for Chinese); ``--embedder onnx-int8`` (or ``onnx-fp32``) swaps MiniLM for the same
model on onnxruntime (``OnnxMiniLMEmbedder``) wherever routing picks MiniLM, ``--embedder minilm-static``
for the static model distilled from it (``StaticEmbedder``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import EVAL_SETS, load_labelled  # noqa: E402
from _metrics import scores  # noqa: E402
from embed_cache import cached_embeddings  # noqa: E402


def model_key_for(texts: list[str]) -> str:
    from feedbackiq._lang import detect_language
    from feedbackiq.embed import choose_embedder

    chosen = choose_embedder([detect_language(t) for t in texts], cache=False)
    return "use" if "use" in chosen.model_id else "minilm"


def run_default(X: np.ndarray, params: dict, seed: int) -> np.ndarray:
    from feedbackiq.themes import ThemeClusterer

    return ThemeClusterer(**{"random_state": seed, **params}).fit(X).labels_


def run_bertopic_default(X: np.ndarray, seed: int) -> np.ndarray:
    import hdbscan
    from umap import UMAP

    Z = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=42 + seed).fit_transform(X)
    return hdbscan.HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom").fit_predict(Z)


def run_kmeans(X: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(X)


def evaluate(dataset: str, split: str, methods: list[str], params: dict, seeds: int = 1,
             embedder: str = "default", fit_fraction: float = 0.2) -> list[dict]:
    """Scores averaged over ``seeds`` runs (UMAP's layout, and so the themes, move with the seed)."""
    texts, labels = load_labelled(dataset, split)
    key = model_key_for(texts)
    if key == "minilm" and embedder != "default":
        key = embedder
    X = cached_embeddings(dataset, split, key, texts)
    k_true = len(set(labels))
    rows = []
    for method in methods:
        runs = []
        for seed in range(seeds):
            t0 = time.perf_counter()
            if method == "feedbackiq":
                pred = run_default(X, params, seed)
            elif method == "sample-fit":   # reduction + HDBSCAN fitted on a share of the set, the rest assigned
                pred = run_default(X, {**params, "max_fit_size": max(50, round(fit_fraction * len(np.unique(X, axis=0))))}, seed)
            elif method == "bertopic-default":
                pred = run_bertopic_default(X, seed)
            else:
                pred = run_kmeans(X, k_true, seed)
            dt = time.perf_counter() - t0
            pred = np.asarray(pred)
            runs.append({**scores(labels, pred), "themes": len(set(pred[pred >= 0].tolist())),
                         "unassigned": 100 * float((pred < 0).mean()), "seconds": dt})
        mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        sd = {f"{k}_sd": float(np.std([r[k] for r in runs])) for k in ("acc", "nmi", "ari")}
        rows.append({"set": f"{dataset}/{split}", "model": key, "method": method, **mean, **sd, "true": k_true, "seeds": seeds})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=[f"{d}/{s}" for d, s in EVAL_SETS])
    ap.add_argument("--methods", nargs="*", default=["feedbackiq", "bertopic-default", "kmeans-true-k"],
                    help="also: sample-fit (feedbackiq fitted on --fit-fraction of the set, the rest assigned)")
    ap.add_argument("--params", default="{}", help="JSON of ThemeClusterer parameters to override (for tuning)")
    ap.add_argument("--seeds", type=int, default=3, help="runs per method (seeds 0..N-1); scores are means")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--fit-fraction", type=float, default=0.2,
                    help="method sample-fit: share of the distinct texts the reduction and HDBSCAN are fitted on "
                         "(0.2 = 20,000 of 100,000, the default max_fit_size at 100k)")
    ap.add_argument("--embedder", default="default", choices=["default", "onnx-int8", "onnx-fp32", "minilm-static"],
                    help="onnx-int8/onnx-fp32: MiniLM on onnxruntime wherever routing picks MiniLM; "
                         "minilm-static: the model2vec distillation (evals/distill_static.py) there")
    args = ap.parse_args()
    params = json.loads(args.params)
    all_rows = []
    print(f"{'set':42} {'model':9} {'method':17} {'ACC':>5} {'NMI':>5} {'ARI':>5} {'themes':>7} {'unasg%':>6} {'sec':>6}")
    for name in args.sets:
        dataset, split = name.split("/")
        for r in evaluate(dataset, split, args.methods, params, args.seeds, args.embedder, args.fit_fraction):
            all_rows.append(r)
            print(f"{r['set']:42} {r['model']:9} {r['method']:17} {r['acc']:5.1f} {r['nmi']:5.1f} {r['ari']:5.1f} "
                  f"{r['themes']:>5.0f}/{r['true']:<3} {r['unassigned']:6.1f} {r['seconds']:6.1f}  "
                  f"(sd {r['acc_sd']:.1f}/{r['nmi_sd']:.1f}/{r['ari_sd']:.1f})", flush=True)
    if args.json:
        args.json.write_text(json.dumps(all_rows, indent=1))


if __name__ == "__main__":
    main()
