"""Does fitting on a sample cost quality? feedbackiq fitted on everything vs fitted on a sample with the
rest assigned by ``ThemeClusterer.predict`` (``fit_sample_then_assign``, what ``fit`` does above
``max_fit_size``), on the union of the English intent sets and on each set alone.

    python evals/sample_fit.py [--seeds 3] [--first-seed 0] [--union-sizes 5000] [--fraction 0.5] [--only union banking77 ...]
    python evals/sample_fit.py --large [--mixed] [--seeds 3] [--large-sizes 20000 10000 5000] [--save runs.npz]
    python evals/sample_fit.py --bench-rows 155000 [--bench-centres 400]   # time and peak memory only, synthetic vectors
    python evals/sample_fit.py --bench-assign 135000 [--bench-sample 20000] [--bench-centres 400] [--bench-skew 1]

- union: banking77 + clinc150 with out-of-scope + hwu64 + dstc11 insurance (10,569 texts, 314 labels named
  per set), MiniLM, sample ``--union-sizes``;
- per set: every English eval set (MiniLM) and the Chinese smp2020 set (USE, as feedbackiq routes it), with
  ``max_fit_size`` = ``--fraction`` of its distinct texts.

The eval sets are small, so the samples here are 450-5,000 points where at scale the sample is
``max_fit_size`` = 20,000: the harder case (fewer points per theme in the sample). Prints ACC/NMI/ARI,
themes, unassigned share and seconds, mean over seeds, and sample minus all.

``--large``: the realistic regime, a labelled union big enough that the default ``max_fit_size`` (20,000)
samples (``LARGE_UNION``: banking77 train + test, hwu64 all, clinc150 with out-of-scope, dstc11 insurance,
semeval restaurants; about 33,500 distinct texts, MiniLM). One row per distinct text (its first set and
label; labels named per set), fitted on everything and with each ``--large-sizes``; scored on the whole
union and on each set's rows of the same clustering. ``--mixed`` adds the Chinese smp2020 + smp2019 domain
sets (5,312 distinct texts, one label set) and embeds everything with USE (about 38,800 distinct texts).
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
# The large union: (dataset, splits), the splits of a dataset sharing its label names.
LARGE_UNION = [("banking77", ("train", "test")), ("hwu64", ("all",)), ("clinc150", ("test_with_oos",)),
               ("dstc11_insurance", ("insurance_dev",)), ("semeval_restaurants14", ("restaurants14_category",))]
# --mixed: the same with the Chinese smp2020 + smp2019 domain sets (one taxonomy), all embedded with USE,
# the model feedbackiq routes a mixed-language set to
MIXED_UNION = [*LARGE_UNION, ("smp2020_ecdt_zh", ("domain", "smp2019_domain"))]
SETS = [("banking77", "test", "minilm"), ("clinc150", "test", "minilm"), ("clinc150", "test_with_oos", "minilm"),
        ("dstc11_insurance", "insurance_dev", "minilm"), ("hwu64", "test", "minilm"),
        ("semeval_restaurants14", "restaurants14_category", "minilm"), ("smp2020_ecdt_zh", "domain", "use")]


def run(X: np.ndarray, labels: list[str], size: int | None, seed: int, params: dict) -> dict:
    from feedbackiq.themes import ThemeClusterer

    t0 = time.perf_counter()
    tc = ThemeClusterer(**{**params, "max_fit_size": size, "random_state": seed}).fit(X)
    pred = tc.labels_
    return {**scores(labels, pred), "themes": len(set(pred[pred >= 0].tolist())),
            "unassigned": 100 * float((pred < 0).mean()), "seconds": time.perf_counter() - t0,
            "neighbourhood": neighbourhood(tc)}


def neighbourhood(tc) -> str:
    """UMAP n_neighbors / HDBSCAN min_samples the fit used (on the sample, after a sample fit)."""
    nn, ms = getattr(tc, "fitted_neighbourhood_", ("?", "?"))
    return f"{nn}/{ms}"


def compare(name: str, X: np.ndarray, labels: list[str], sizes: list[int], seeds: range, params: dict) -> None:
    n_distinct = len(np.unique(X, axis=0))
    base = None
    for size in [None, *sizes]:
        runs = [run(X, labels, size, seed, params) for seed in seeds]
        m = {k: float(np.mean([r[k] for r in runs])) for k in runs[0] if k != "neighbourhood"}
        sd = "/".join(f"{np.std([r[k] for r in runs]):.1f}" for k in ("acc", "nmi", "ari"))
        diff = "" if base is None else " ".join(f"{m[k] - base[k]:+5.1f}" for k in ("acc", "nmi", "ari"))
        fitted = "all" if size is None else (f"{size} ({100 * size / n_distinct:.0f}%), "
                                             + " ".join(r["neighbourhood"] for r in runs))
        print(f"| {name} | {fitted} | {m['acc']:.1f} | {m['nmi']:.1f} | {m['ari']:.1f} | {m['themes']:.0f} | "
              f"{m['unassigned']:.1f} | {m['seconds']:.1f} | {sd} | {diff} |", flush=True)
        base = base or m


def large_union(parts=LARGE_UNION, key: str = "minilm") -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Vectors, labels (``dataset:label``) and dataset of each distinct text of ``parts``, and counts.

    A text that occurs more than once (hwu64 all repeats its own rows; 34 texts are in two sets) is kept
    once, with the set and label of its first occurrence in ``parts`` order.
    """
    from embed_cache import ensure_cached

    ensure_cached([(d, s) for d, splits in parts for s in splits], key)
    seen: dict[str, int] = {}
    vecs, labels, sets = [], [], []
    rows = conflicts = 0
    for d, splits in parts:
        for s in splits:
            texts, y = load_labelled(d, s)
            X = cached_embeddings(d, s, key, texts)
            rows += len(texts)
            for i, (t, v) in enumerate(zip(texts, y)):
                label = f"{d}:{v}"
                if t in seen:
                    conflicts += labels[seen[t]] != label
                    continue
                seen[t] = len(labels)
                vecs.append(X[i]), labels.append(label), sets.append(d)
    X = np.vstack(vecs)
    info = {"rows": rows, "texts": len(labels), "distinct_vectors": len(np.unique(X, axis=0)),
            "label_conflicts": int(conflicts), "labels": len(set(labels))}
    return X, np.array(labels), np.array(sets), info


def compare_large(sizes: list[int | None], seeds: range, params: dict, save: str | None = None,
                  parts=LARGE_UNION, key: str = "minilm") -> None:
    """Fit the large union on everything and on each sample size, several seeds; score it whole and per set."""
    from feedbackiq.themes import ThemeClusterer

    X, y, sets, info = large_union(parts, key)
    print(f"large union: {info}", flush=True)
    preds: dict[tuple, np.ndarray] = {}
    seconds: dict[tuple, float] = {}
    used: dict[tuple, str] = {}
    for size in [None, *sizes]:
        for seed in seeds:
            t0 = time.perf_counter()
            tc = ThemeClusterer(**{**params, "max_fit_size": size, "random_state": seed}).fit(X)
            seconds[size, seed] = time.perf_counter() - t0
            preds[size, seed] = tc.labels_
            used[size, seed] = neighbourhood(tc)
            print(f"  fitted on {size or 'all'}, seed {seed}: {seconds[size, seed]:.0f} s, {tc.n_themes_} themes, "
                  f"NMI {scores(y, tc.labels_)['nmi']:.1f}, n_neighbors/min_samples {used[size, seed]}",
                  file=sys.stderr, flush=True)
    if save:
        np.savez_compressed(save, y=y, sets=sets, **{f"{size or 'all'}_{seed}": p for (size, seed), p in preds.items()})
    print("| set | fitted on | ACC | NMI | ARI | themes | unassigned % | s / run | sd ACC/NMI/ARI | sample - all ACC NMI ARI |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    slices = [(f"union ({len(y)} texts, {info['labels']} labels)", np.ones(len(y), dtype=bool))]
    slices += [(f"{d} slice ({int((sets == d).sum())})", sets == d) for d, _ in parts]
    for name, rows in slices:
        base = None
        for size in [None, *sizes]:
            runs = []
            for seed in seeds:
                p = preds[size, seed][rows]
                runs.append({**scores(y[rows], p), "themes": len(set(p[p >= 0].tolist())),
                             "unassigned": 100 * float((p < 0).mean()), "seconds": seconds[size, seed]})
            m = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
            sd = "/".join(f"{np.std([r[k] for r in runs]):.1f}" for k in ("acc", "nmi", "ari"))
            diff = "" if base is None else " ".join(f"{m[k] - base[k]:+5.1f}" for k in ("acc", "nmi", "ari"))
            fitted = "all" if size is None else (f"{size} ({100 * size / info['distinct_vectors']:.0f}%), "
                                                 + " ".join(used[size, seed] for seed in seeds))
            print(f"| {name} | {fitted} | {m['acc']:.1f} | {m['nmi']:.1f} | {m['ari']:.1f} | {m['themes']:.0f} | "
                  f"{m['unassigned']:.1f} | {m['seconds']:.0f} | {sd} | {diff} |", flush=True)
            base = base or m


def bench(n: int, dim: int = 384, k: int = 400) -> None:
    """Seconds and peak RSS of ``ThemeClusterer().fit`` (default ``max_fit_size``) on ``n`` synthetic distinct
    vectors around ``k`` centres, and of ``predict`` alone (no quality: the vectors carry no meaning)."""
    import resource

    from feedbackiq.themes import ThemeClusterer

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(k, dim)).astype(np.float32)
    X = centres[rng.integers(0, k, n)] + rng.normal(0, 0.6, (n, dim)).astype(np.float32)
    weight = rng.integers(1, 12, n)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    tc = ThemeClusterer().fit(X, sample_weight=weight)
    fit_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    tc.predict(X)
    predict_s = time.perf_counter() - t0
    import pickle

    rest = ~tc.fitted_mask_
    print(f"{n} distinct vectors ({int(weight.sum())} items, {k} centres), fitted on {int(tc.fitted_mask_.sum())} "
          f"(n_neighbors/min_samples {neighbourhood(tc)}): fit {fit_s:.1f} s, "
          f"{tc.n_themes_} themes, {100 * (tc.labels_[rest] < 0).mean():.1f}% of the predicted rows in 'other'; "
          f"predict all rows {predict_s:.1f} s ({n / predict_s:,.0f} rows/s); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (vectors {X.nbytes / 2**20:.0f} MB, "
          f"{rss0:.0f} MB before fit); fitted clusterer pickled {len(pickle.dumps(tc)) / 2**20:.1f} MB, "
          f"centroids_ + other_cutoff_ {tc.centroids_.nbytes / 2**20:.2f} MB")


def bench_assign(n: int, sample: int = 20_000, k: int = 400, dim: int = 384, skew: float = 0.0) -> None:
    """Seconds to assign ``n`` rows outside a ``sample``-text fit: the nearest centroid alone (``predict`` before
    the vote) and with the vote of the nearest sampled texts (``predict`` after a sample fit), in the 65,536-row
    blocks ``fit`` uses. Synthetic vectors around ``k`` centres, theme sizes ``1 / rank ** skew`` (0: equal);
    the clusterer's fitted arrays are set directly (no UMAP or HDBSCAN: only the assignment is timed)."""
    import pickle

    from feedbackiq.themes import ThemeClusterer

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(k, dim)).astype(np.float32)
    p = 1 / np.arange(1, k + 1) ** skew
    p /= p.sum()

    def draw(rows: int) -> tuple[np.ndarray, np.ndarray]:
        theme = rng.choice(k, size=rows, p=p)
        X = centres[theme] + rng.normal(0, 0.9, (rows, dim)).astype(np.float32)
        return X / np.linalg.norm(X, axis=1, keepdims=True), theme

    V, labels = draw(sample)
    X, _ = draw(n)
    tc = ThemeClusterer()
    tc.n_themes_ = k
    tc.centroids_ = np.stack([V[labels == t].mean(axis=0) if (labels == t).any() else centres[t] for t in range(k)])
    tc.centroids_ /= np.linalg.norm(tc.centroids_, axis=1, keepdims=True)
    tc.other_cutoff_ = 0.0
    seconds = {}
    for name, votes in (("nearest centroid", None), ("centroid + vote", (V, labels))):
        tc.vote_vectors_, tc.vote_labels_ = votes if votes else (None, None)
        t0 = time.perf_counter()
        out = [tc.predict_with_similarity(X[i:i + 65_536])[0] for i in range(0, n, 65_536)]
        seconds[name] = time.perf_counter() - t0
        labels_out = np.concatenate(out)
    changed = float((labels_out != (X @ tc.centroids_.T).argmax(axis=1)).mean())
    print(f"assign {n} rows x {dim} against a {sample}-text sample ({k} themes, size skew {skew}): "
          + ", ".join(f"{name} {sec:.2f} s" for name, sec in seconds.items())
          + f"; the vote changed {100 * changed:.1f}% of the themes; vote arrays pickled "
          f"{len(pickle.dumps((V, labels))) / 2**20:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3, help="how many seeds")
    ap.add_argument("--first-seed", type=int, default=0, help="seeds --first-seed .. --first-seed + --seeds - 1")
    ap.add_argument("--union-sizes", nargs="+", type=int, default=[5000])
    ap.add_argument("--fraction", type=float, default=0.5, help="per set: max_fit_size as a share of its distinct texts")
    ap.add_argument("--only", nargs="+", help="'union' and/or dataset names (default: all)")
    ap.add_argument("--params", default="{}", help="JSON of ThemeClusterer parameters (for tuning)")
    ap.add_argument("--bench-rows", type=int, help="only time fit and predict on this many synthetic vectors")
    ap.add_argument("--bench-centres", type=int, default=400, help="with --bench-rows: how many centres (themes)")
    ap.add_argument("--bench-assign", type=int, help="only time assigning this many synthetic rows against a "
                    "--bench-sample fit (nearest centroid vs with the vote)")
    ap.add_argument("--bench-sample", type=int, default=20_000, help="with --bench-assign: sampled texts")
    ap.add_argument("--bench-skew", type=float, default=0.0, help="with --bench-assign: theme sizes 1 / rank ** skew")
    ap.add_argument("--large", action="store_true", help="only the large union (the default max_fit_size samples it)")
    ap.add_argument("--large-sizes", nargs="+", type=int, default=[20_000, 10_000, 5_000])
    ap.add_argument("--mixed", action="store_true", help="with --large: add the Chinese sets, everything embedded with USE")
    ap.add_argument("--save", help="with --large: save labels, sets and every run's predicted themes to this .npz")
    args = ap.parse_args()
    if args.bench_rows:
        return bench(args.bench_rows, k=args.bench_centres)
    if args.bench_assign:
        return bench_assign(args.bench_assign, args.bench_sample, args.bench_centres, skew=args.bench_skew)
    import json

    params = json.loads(args.params)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    if args.large:
        if args.mixed:
            return compare_large(args.large_sizes, seeds, params, args.save, MIXED_UNION, "use")
        return compare_large(args.large_sizes, seeds, params, args.save)
    print("| set | fitted on | ACC | NMI | ARI | themes | unassigned % | s / run | sd ACC/NMI/ARI | sample - all ACC NMI ARI |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    if not args.only or "union" in args.only:
        labels, parts = [], []
        for d, s in UNION:
            texts, y = load_labelled(d, s)
            labels += [f"{d}:{v}" for v in y]
            parts.append(cached_embeddings(d, s, "minilm", texts))
        compare(f"union ({sum(map(len, parts))} texts, minilm)", np.vstack(parts), labels, args.union_sizes,
                seeds, params)
    for d, s, key in SETS:
        if args.only and d not in args.only:
            continue
        texts, y = load_labelled(d, s)
        X = cached_embeddings(d, s, key, texts)
        size = round(args.fraction * len(np.unique(X, axis=0)))
        compare(f"{d}/{s} ({key})", X, y, [size], seeds, params)


if __name__ == "__main__":
    main()
