"""Which embedding model for which language mix: MiniLM (English) vs multilingual USE v3.

    python evals/embed_routing.py            # Chinese: the threshold
    python evals/embed_routing.py --other    # Russian, Spanish, German: does the same threshold hold?

k-means given the true K on the same texts embedded by both models, for the
single-language eval sets and for mixed sets (Chinese smp2020 domain queries
added to English banking77 at several shares, labels kept distinct). Prints
ACC/NMI/ARI per model and the Chinese share from which USE wins on NMI: the
routing threshold used by feedbackiq.embed.choose_embedder.

The rule: every customer's voice counts the same, judged within its own language.
So the score of a model on a mixed set is the item-weighted mean of the NMI within
the Chinese part and within the English part; the threshold is the first share at
which USE scores higher. (Overall NMI on the mixed set, which also rewards
separating the two languages from each other, crosses later; both are printed.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import load_labelled  # noqa: E402
from _metrics import scores  # noqa: E402
from embed_cache import cached_embeddings  # noqa: E402

SINGLE = [("smp2020_ecdt_zh", "domain"), ("banking77", "test"), ("clinc150", "test"), ("dstc11_insurance", "insurance_dev"), ("hwu64", "test")]
SHARES = [0.02, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40]


def kmeans_scores(X: np.ndarray, labels: list[str]) -> dict[str, float]:
    from sklearn.cluster import KMeans

    k = len(set(labels))
    return scores(labels, KMeans(n_clusters=k, n_init=3, random_state=0).fit_predict(X))


def kmeans_scores_parts(X: np.ndarray, labels: list[str], n_en: int) -> tuple[dict[str, float], tuple[float, float]]:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    pred = KMeans(n_clusters=len(set(labels)), n_init=3, random_state=0).fit_predict(X)
    zh = 100 * nmi(labels[n_en:], pred[n_en:])
    en = 100 * nmi(labels[:n_en], pred[:n_en])
    return scores(labels, pred), (zh, en)


def main() -> None:
    print(f"{'set':34} {'model':7} {'ACC':>5} {'NMI':>5} {'ARI':>5}  (mixed sets: NMI within the zh / en part)")
    for d, s in SINGLE:
        _, labels = load_labelled(d, s)
        for key in ("minilm", "use"):
            r = kmeans_scores(cached_embeddings(d, s, key), labels)
            print(f"{d + '/' + s:34} {key:7} {r['acc']:5.1f} {r['nmi']:5.1f} {r['ari']:5.1f}", flush=True)
    _, zh_labels = load_labelled("smp2020_ecdt_zh", "domain")
    _, en_labels = load_labelled("banking77", "test")
    rng = np.random.default_rng(0)
    n_total = len(en_labels)
    wins = []
    for share in SHARES:
        n_zh = int(round(share * n_total / (1 - share)))
        zi = rng.choice(len(zh_labels), size=n_zh, replace=False)
        labels = list(en_labels) + [f"zh:{zh_labels[i]}" for i in zi]
        row = {}
        for key in ("minilm", "use"):
            X = np.vstack([cached_embeddings("banking77", "test", key), cached_embeddings("smp2020_ecdt_zh", "domain", key)[zi]])
            row[key], parts = kmeans_scores_parts(X, labels, n_total)
            r = row[key]
            print(f"{f'mixed {share:.0%} zh ({n_zh} of {n_total + n_zh})':34} {key:7} {r['acc']:5.1f} {r['nmi']:5.1f} {r['ari']:5.1f}"
                  f"  (zh {parts[0]:.1f} / en {parts[1]:.1f})", flush=True)
            row[key]["weighted"] = share * parts[0] + (1 - share) * parts[1]
        wins.append((share, row["use"]["weighted"] >= row["minilm"]["weighted"], row["use"]["nmi"] >= row["minilm"]["nmi"]))
        print(f"{'':34} per-language item-weighted NMI: minilm {row['minilm']['weighted']:.1f}, use {row['use']['weighted']:.1f}")
    first = next((s for s, w, _ in wins if w), None)
    overall = next((s for s, _, o in wins if o), None)
    print(f"USE wins on item-weighted per-language NMI from a Chinese share of {first}; on overall NMI from {overall}")


OTHER_SET = Path(__file__).resolve().parent / "data" / "needs_ru_es_de.csv"
OTHER_SHARES = [0.05, 0.10, 0.15, 0.20, 0.30]


def other_languages(seeds: int = 5) -> None:
    """A small hand-written labelled set (6 needs x 5 answers in each of Russian, Spanish, German), alone and
    added to English banking77 queries (sampled so the three languages make up a given share): NMI within
    each language, item-weighted, as for Chinese. k-means with the true K, mean over ``seeds`` seeds."""
    import csv

    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score as nmi

    from feedbackiq.embed import make_embedder

    with OTHER_SET.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    langs = np.array([r["language"] for r in rows])
    labels = np.array([f"{r['language']}:{r['label']}" for r in rows])
    vecs = {key: make_embedder(key).embed([r["text"] for r in rows]) for key in ("minilm", "use")}
    print(f"{'language':10} {'MiniLM NMI':>10} {'USE NMI':>8}  (k-means, true K, mean of {seeds} seeds)")
    for lang in ("ru", "es", "de"):
        part = langs == lang
        res = {key: np.mean([nmi(labels[part], KMeans(len(set(labels[part])), n_init=3, random_state=s)
                                 .fit_predict(vecs[key][part])) for s in range(seeds)]) * 100 for key in vecs}
        print(f"{lang:10} {res['minilm']:10.1f} {res['use']:8.1f}", flush=True)
    _, en_labels = load_labelled("banking77", "test")
    en_vecs = {key: cached_embeddings("banking77", "test", key) for key in vecs}
    for share in OTHER_SHARES:
        n_en = int(round(len(rows) * (1 - share) / share))
        score = {key: [] for key in vecs}
        for s in range(seeds):
            ei = np.random.default_rng(s).choice(len(en_labels), size=n_en, replace=False)
            lab = np.concatenate([np.array(en_labels)[ei], labels])
            lang = np.concatenate([np.full(n_en, "en"), langs])
            for key in vecs:
                pred = KMeans(len(set(lab)), n_init=3, random_state=s).fit_predict(np.vstack([en_vecs[key][ei], vecs[key]]))
                score[key].append(sum((lang == g).mean() * nmi(lab[lang == g], pred[lang == g]) for g in np.unique(lang)) * 100)
        print(f"ru+es+de share {share:.0%} ({len(rows)} of {n_en + len(rows)}): per-language item-weighted NMI "
              f"minilm {np.mean(score['minilm']):.1f}, use {np.mean(score['use']):.1f}", flush=True)


if __name__ == "__main__":
    other_languages() if "--other" in sys.argv else main()
