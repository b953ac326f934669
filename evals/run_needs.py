"""The need level (themes grouped into needs) against coarse-labelled sets, never told the number of labels.

    python evals/run_needs.py [--sets clinc150/test_domain ... samples] [--seeds 3] [--params '{...}']
                              [--methods themes needs themes+auto kmeans-true-k bertopic-auto]
                              [--bertopic-python /work/h5-bertopic-venv/bin/python]

Per set and method, averaged over seeds 0..N-1: ACC (Hungarian) / NMI / ARI against the coarse labels,
groups found vs true, share unassigned. Methods:

- ``themes``: the fine level, ``ThemeClusterer()`` as ``find_themes`` fits it (one row per distinct text,
  weighted by its items, each row's language as ``groups``);
- ``needs``: those themes grouped by ``NeedGrouper`` (``--params`` overrides its arguments);
- ``needs-true-k``: the same, told the number of labels (``n_needs=``), to separate the grouping from the count;
- ``themes+auto``: those themes grouped by BERTopic's own ``nr_topics="auto"`` rule (HDBSCAN with
  ``min_cluster_size=2`` over the L2-normalised topic vectors; a theme HDBSCAN calls noise stays alone);
- ``kmeans-true-k``: k-means on the item vectors given the true number of labels;
- ``bertopic-auto``: BERTopic 0.17 itself with ``nr_topics="auto"`` on the same vectors, run in its own
  environment (``--bertopic-python``), a process per run.

The theme fits are cached per set and seed in ``evals/.cache/needs/`` (labels, UMAP coordinates, weights,
languages), so trying a grouping rule never refits UMAP; ``--refit`` redoes them.
``samples`` is the bundled sample exports with their planted needs (datasets/samples/truth): the noise
(praise, small talk, off-topic) is scored as its own label, and the planted table prints, per planted
need, the largest share of its items that one need holds.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import CACHE_DIR, load_labelled  # noqa: E402
from _metrics import scores  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "datasets" / "samples"
COARSE_SETS = ["clinc150/test_domain", "semeval_restaurants14/restaurants14_category", "smp2020_ecdt_zh/domain", "samples"]
# The fine labels of the same texts, where the set has them (scored as a second line for the themes)
FINE_SPLIT = {"clinc150/test_domain": "test", "smp2020_ecdt_zh/domain": "domain_intent"}
NOISE = "noise"


def theme_params_key() -> str:
    from feedbackiq.themes import ThemeClusterer

    return hashlib.sha256(json.dumps(ThemeClusterer().get_params(), sort_keys=True, default=str).encode()).hexdigest()[:8]


# ---------------------------------------------------------------- data


def load_set(name: str) -> dict:
    """Item vectors, coarse labels (fine labels when the set has them), texts and languages of a set."""
    if name == "samples":
        return load_samples()
    from run_themes import model_key_for
    from embed_cache import cached_embeddings

    dataset, split = name.split("/")
    texts, labels = load_labelled(dataset, split)
    key = model_key_for(texts)
    X = cached_embeddings(dataset, split, key, texts)
    fine = load_labelled(dataset, FINE_SPLIT[name])[1] if name in FINE_SPLIT else None
    from feedbackiq._lang import detect_language

    langs = ["" if (g := detect_language(t)) == "other" else g for t in texts]
    return {"texts": texts, "X": X, "labels": labels, "fine": fine, "languages": langs, "model": key}


def load_samples() -> dict:
    """The bundled samples as ``find_themes`` sees them, with the planted need of each item."""
    import feedbackiq as fiq
    from feedbackiq.embed import default_embedder

    fs = fiq.read_feedback(SAMPLES)
    truth = samples_truth(fs)
    items = list(fs.items)
    texts = [it.text for it in items]
    digest = hashlib.sha256("\x1e".join(texts).encode()).hexdigest()[:16]   # the samples changed: embed again
    path = CACHE_DIR / "needs" / f"samples__vectors__{digest}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        X, model = z["X"], str(z["model"])
    else:
        emb = default_embedder(fs)
        from feedbackiq.themes._api import embed_items

        X, model = embed_items(items, emb), emb.model_id
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, X=X, model=model)
    langs = ["" if it.language == "other" else it.language for it in items]
    return {"texts": texts, "X": X, "labels": [truth.get(it.id) or "" for it in items], "fine": None,
            "languages": langs, "model": "use" if "use" in model.lower() or "universal" in model.lower() else model}


def samples_truth(fs) -> dict[str, str]:
    """Planted need (or ``noise``) per item id, joined on the exports' own ids (all four exports)."""
    truth: dict[tuple[str, str], str] = {}
    for name, key in (("app_reviews", "review_id"), ("crm_notes", "note_id")):
        with (SAMPLES / "truth" / f"{name}.csv").open(encoding="utf-8") as fh:
            truth.update(((name, row[key]), row["theme"]) for row in csv.DictReader(fh))
    for name, rid in (("survey_export", "ResponseId"), ("survey_export_zh", "受访者ID")):
        with (SAMPLES / "truth" / f"{name}.csv").open(encoding="utf-8") as fh:
            truth.update(((name, row[rid] + row["column"]), row["theme"]) for row in csv.DictReader(fh))
    out = {}
    for it in fs.items:
        stem = it.origin.file.rsplit("/", 1)[-1].split(".")[0]
        key = it.respondent_id + it.metadata.get("question_column", "") if stem.startswith("survey") else it.metadata.get("source_id")
        if (stem, key) in truth:
            out[it.id] = truth[(stem, key)]
    return out


# ---------------------------------------------------------------- the cached theme fit


def theme_fit(name: str, data: dict, seed: int, refit: bool = False) -> dict:
    """``ThemeClusterer()`` fitted as ``find_themes`` fits it, cached on disk per set and seed."""
    texts = hashlib.sha256("\x1e".join(data["texts"]).encode()).hexdigest()[:8]
    path = CACHE_DIR / "needs" / f"{name.replace('/', '__')}__{data['model']}__{theme_params_key()}__{texts}__s{seed}.npz"
    if path.exists() and not refit:
        z = np.load(path, allow_pickle=False)
        return {k: z[k] for k in z.files}
    from feedbackiq.themes import ThemeClusterer

    texts = data["texts"]
    row: dict[str, int] = {}
    inverse = np.fromiter((row.setdefault(t, len(row)) for t in texts), dtype=np.int64, count=len(texts))
    first = np.unique(inverse, return_index=True)[1]
    Xu = np.asarray(data["X"], dtype=np.float32)[first]
    weight = np.bincount(inverse, minlength=len(first)).astype(np.float64)
    groups = np.array([data["languages"][i] for i in first])
    t0 = time.perf_counter()
    model = ThemeClusterer(random_state=seed).fit(Xu, sample_weight=weight, groups=groups)
    fit = {"inverse": inverse, "first": first, "weight": weight, "groups": groups, "labels": model.labels_,
           "reduced": model.reduced_.astype(np.float32), "seconds": np.float64(time.perf_counter() - t0)}
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **fit)
    return fit


# ---------------------------------------------------------------- methods


def unit_rows(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def group_needs(data: dict, fit: dict, params: dict, seed: int) -> np.ndarray:
    """Need per item: ``NeedGrouper`` over the cached themes ("other" stays -1)."""
    from feedbackiq.themes._needs import NeedGrouper

    Xu = unit_rows(data["X"])[fit["first"]]
    g = NeedGrouper(**{"random_state": seed, **params}).fit(Xu, fit["labels"], sample_weight=fit["weight"],
                                                           groups=fit["groups"], reduced=fit["reduced"])
    lab = fit["labels"]
    per_row = np.where(lab >= 0, g.need_of_theme_[np.maximum(lab, 0)], -1)
    return per_row[fit["inverse"]]


def bertopic_auto_on_themes(data: dict, fit: dict) -> np.ndarray:
    """BERTopic's ``nr_topics="auto"`` rule applied to feedbackiq's themes: HDBSCAN(min_cluster_size=2, eom)
    over the L2-normalised theme vectors (weighted mean of the members); HDBSCAN noise keeps its own group."""
    import hdbscan

    Xu, lab, w = unit_rows(data["X"])[fit["first"]], fit["labels"], fit["weight"]
    k = int(lab.max()) + 1
    C = np.stack([w[lab == t] @ Xu[lab == t] for t in range(k)])
    C /= np.linalg.norm(C, axis=1, keepdims=True)
    found = hdbscan.HDBSCAN(min_cluster_size=2, metric="euclidean", cluster_selection_method="eom").fit_predict(C) if k > 2 else -np.ones(k, int)
    groups = np.where(found >= 0, found, found.max() + 1 + np.arange(k))
    per_row = np.where(lab >= 0, groups[np.maximum(lab, 0)], -1)
    return per_row[fit["inverse"]]


def kmeans_true_k(data: dict, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(np.asarray(data["X"], dtype=np.float32))


def bertopic_auto(name: str, seed: int, python: str) -> np.ndarray:
    """BERTopic with ``nr_topics="auto"`` in its own environment (a subprocess; see evals/README.md)."""
    cache = CACHE_DIR / "needs" / f"bertopic_auto__{name.replace('/', '__')}__s{seed}.npy"
    if not cache.exists():
        proc = subprocess.run([python, __file__, "--bertopic-one", name, str(seed)], capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f"bertopic on {name} failed:\n{proc.stderr[-3000:]}")
    return np.load(cache)


def bertopic_one(name: str, seed: int) -> None:
    """Run in the BERTopic environment: fit, reduce with ``nr_topics="auto"``, save the topics."""
    from bertopic import BERTopic
    from umap import UMAP

    data = load_set(name) if name != "samples" else np.load(CACHE_DIR / "needs" / "samples__bertopic_input.npz")
    texts = list(data["texts"])
    umap_model = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    topics, _ = BERTopic(umap_model=umap_model, nr_topics="auto").fit_transform(texts, embeddings=np.asarray(data["X"]))
    np.save(CACHE_DIR / "needs" / f"bertopic_auto__{name.replace('/', '__')}__s{seed}.npy", np.asarray(topics))


# ---------------------------------------------------------------- scoring


def planted_table(labels: list[str], pred: np.ndarray) -> dict[str, dict]:
    """Per planted need: the largest share of its items one need holds (items in "other" count against it)
    and that need; for the noise: the share of its items in any need, and in needs where noise is the majority."""
    labels_arr = np.array(labels)
    out = {}
    for need in sorted(set(labels) - {"", NOISE}):
        mine = pred[labels_arr == need]
        top = Counter(mine[mine >= 0].tolist()).most_common(1)
        out[need] = {"n": len(mine), "share": 100 * (top[0][1] / len(mine) if top else 0.0), "need": top[0][0] if top else -1}
    noise = pred[labels_arr == NOISE]
    majority = {n for n in set(pred[pred >= 0].tolist())
                if Counter(labels_arr[pred == n].tolist()).most_common(1)[0][0] == NOISE}
    out[NOISE] = {"n": len(noise), "share": 100 * float((noise >= 0).mean()), "need": -1,
                  "in_noise_needs": 100 * float(np.isin(noise, list(majority)).mean()) if len(noise) else 0.0}
    return out


def collisions(table: dict[str, dict]) -> int:
    """Planted needs whose largest share sits in a need that is also another planted need's."""
    tops = Counter(v["need"] for k, v in table.items() if k != NOISE)
    return sum(c for c in tops.values() if c > 1)


def evaluate(name: str, methods: list[str], params: dict, seeds: int, refit: bool, python: str) -> list[dict]:
    data = load_set(name)
    labels = data["labels"]
    keep = np.array([lab != "" for lab in labels])      # samples: items with a planted need or noise
    y = [lab for lab, k in zip(labels, keep) if k]
    k_true = len(set(y) - {NOISE}) + (NOISE in y)
    rows = []
    for method in methods:
        runs = []
        for seed in range(seeds):
            fit = theme_fit(name, data, seed, refit) if method in ("themes", "needs", "needs-true-k", "themes+auto") else None
            t0 = time.perf_counter()
            if method == "themes":
                pred = fit["labels"][fit["inverse"]]
            elif method == "needs":
                pred = group_needs(data, fit, params, seed)
            elif method == "needs-true-k":   # the same grouping told the number of labels (n_needs=)
                pred = group_needs(data, fit, {**params, "n_needs": k_true}, seed)
            elif method == "themes+auto":
                pred = bertopic_auto_on_themes(data, fit)
            elif method == "kmeans-true-k":
                pred = kmeans_true_k(data, k_true, seed)
            elif method == "bertopic-auto":
                if name == "samples":
                    np.savez(CACHE_DIR / "needs" / "samples__bertopic_input.npz", texts=np.array(data["texts"]), X=data["X"])
                pred = bertopic_auto(name, seed, python)
            else:
                raise SystemExit(f"unknown method {method}")
            dt = time.perf_counter() - t0
            pred = np.asarray(pred)
            r = {**scores(y, pred[keep]), "groups": len(set(pred[pred >= 0].tolist())),
                 "unassigned": 100 * float((pred < 0).mean()), "seconds": dt}
            if data["fine"] is not None:
                r.update({f"fine_{k}": v for k, v in scores(data["fine"], pred).items()})
            if name == "samples":
                table = planted_table(labels, pred)
                r["min_planted"] = min(v["share"] for k, v in table.items() if k != NOISE)
                r["noise_in_needs"] = table[NOISE]["share"]
                r["noise_in_noise_needs"] = table[NOISE]["in_noise_needs"]
                r["collisions"] = collisions(table)
                r["planted"] = table
            runs.append(r)
        num = [k for k in runs[0] if k != "planted"]
        mean = {k: float(np.mean([r[k] for r in runs])) for k in num}
        sd = {f"{k}_sd": float(np.std([r[k] for r in runs])) for k in ("acc", "nmi", "ari")}
        row = {"set": name, "model": data["model"], "method": method, **mean, **sd, "true": k_true, "seeds": seeds}
        if name == "samples":
            row["planted"] = [r["planted"] for r in runs]
        rows.append(row)
    return rows


def bench(n: int, n_themes: int = 400, dim: int = 384, seed: int = 0) -> None:
    """Time ``NeedGrouper.fit`` on ``n`` rows in ``n_themes`` themes (the size ``find_themes`` reaches at
    100k texts), two languages, 4% "other", weights 1-3: what the need level adds to ``find_themes``."""
    import resource

    from feedbackiq.themes._needs import NeedGrouper

    rng = np.random.default_rng(seed)
    needs = unit_rows(rng.normal(size=(n_themes // 8, dim)))
    centres = unit_rows(needs[rng.integers(0, len(needs), n_themes)] + 0.6 * unit_rows(rng.normal(size=(n_themes, dim))))
    labels = rng.integers(0, n_themes, n)
    X = unit_rows(centres[labels] + 0.8 * rng.normal(size=(n, dim)).astype(np.float32) / np.sqrt(dim))
    labels[rng.random(n) < 0.04] = -1
    groups = np.where(rng.random(n) < 0.3, "zh", "en")
    weight = rng.integers(1, 4, n).astype(np.float64)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    g = NeedGrouper().fit(X, labels, sample_weight=weight, groups=groups)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"NeedGrouper.fit: {n} rows x {dim}, {n_themes} themes -> {g.n_needs_} needs in {dt:.2f} s wall, {cpu:.2f} s CPU "
          f"(peak RSS {rss:.0f} MB, {rss - rss0:+.0f} MB over the inputs)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="*", default=COARSE_SETS)
    ap.add_argument("--methods", nargs="*", default=["themes", "needs", "themes+auto", "kmeans-true-k"],
                    help="also: needs-true-k, bertopic-auto (BERTopic itself, --bertopic-python)")
    ap.add_argument("--params", default="{}", help="JSON of NeedGrouper arguments to override")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--refit", action="store_true", help="refit the cached themes")
    ap.add_argument("--bertopic-python", default="/work/h5-bertopic-venv/bin/python")
    ap.add_argument("--planted", action="store_true", help="samples: print the per-planted-need shares")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--bench", type=int, metavar="N", help="only time NeedGrouper.fit on N synthetic rows")
    ap.add_argument("--bertopic-one", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bench:
        bench(args.bench)
        return
    if args.bertopic_one:
        bertopic_one(args.bertopic_one[0], int(args.bertopic_one[1]))
        return
    params = json.loads(args.params)
    all_rows = []
    print(f"{'set':45} {'model':6} {'method':14} {'ACC':>5} {'NMI':>5} {'ARI':>5} {'groups':>8} {'unasg%':>6} {'sec':>5}")
    for name in args.sets:
        for r in evaluate(name, args.methods, params, args.seeds, args.refit, args.bertopic_python):
            all_rows.append(r)
            extra = ""
            if "fine_acc" in r:
                extra += f"  fine {r['fine_acc']:.1f}/{r['fine_nmi']:.1f}/{r['fine_ari']:.1f}"
            if "min_planted" in r:
                extra += (f"  min planted {r['min_planted']:.0f}%, planted sharing a need {r['collisions']:.1f}, noise in needs "
                          f"{r['noise_in_needs']:.0f}% (in noise-majority needs {r['noise_in_noise_needs']:.0f}%)")
            print(f"{r['set']:45} {r['model']:6} {r['method']:14} {r['acc']:5.1f} {r['nmi']:5.1f} {r['ari']:5.1f} "
                  f"{r['groups']:>4.0f}/{r['true']:<3} {r['unassigned']:6.1f} {r['seconds']:5.1f}  "
                  f"(sd {r['acc_sd']:.1f}/{r['nmi_sd']:.1f}/{r['ari_sd']:.1f}){extra}", flush=True)
            if args.planted and "planted" in r:
                for s, table in enumerate(r["planted"]):
                    print("    seed", s, "  ".join(f"{k} {v['share']:.0f}%" for k, v in table.items()))
    if args.json:
        args.json.write_text(json.dumps(all_rows, indent=1, default=str))


if __name__ == "__main__":
    main()
