"""NeedGrouper: themes grouped into needs (the coarse level), on planted synthetic data and the samples."""

import numpy as np
import pytest

from feedbackiq._errors import InputError
from feedbackiq.themes._needs import NeedGrouper


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def planted(n_needs=4, themes_per_need=3, rows=40, dim=32, seed=0, languages=("",), language_norm=0.0):
    """Themes around planted needs: each theme is its need's direction, plus (per language) that
    language's offset, plus its own small offset, plus noise. Returns X, theme labels, the need of
    each theme and each row's language."""
    rng = np.random.default_rng(seed)
    needs = _unit(rng.normal(size=(n_needs, dim)))
    offsets = language_norm * _unit(rng.normal(size=(len(languages), dim)))
    X, labels, groups, need_of_theme = [], [], [], []
    for j in range(n_needs):
        for i in range(themes_per_need):
            g = i % len(languages)
            centre = needs[j] + offsets[g] + 0.2 * _unit(rng.normal(size=dim))
            X.append(centre + 0.7 * rng.normal(size=(rows, dim)) / np.sqrt(dim))
            labels += [len(need_of_theme)] * rows
            groups += [languages[g]] * rows
            need_of_theme.append(j)
    return np.vstack(X).astype(np.float32), np.array(labels), np.array(need_of_theme), np.array(groups)


def same_partition(a, b) -> bool:
    """Two labelings of the themes group them the same way (ids may differ)."""
    pairs = set(zip(np.asarray(a).tolist(), np.asarray(b).tolist()))
    return len(pairs) == len(set(np.asarray(a).tolist())) == len(set(np.asarray(b).tolist()))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_themes_of_one_planted_need_become_one_need(seed):
    X, labels, truth, _ = planted(seed=seed)
    g = NeedGrouper(random_state=seed).fit(X, labels)
    assert g.need_of_theme_.shape == (12,)
    assert same_partition(g.need_of_theme_, truth), g.need_of_theme_
    assert g.n_needs_ == 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_need_in_two_languages_is_one_need(seed):
    X, labels, truth, groups = planted(themes_per_need=2, rows=80, seed=seed, languages=("en", "zh"), language_norm=1.3)
    # The premise: a theme's translation is farther from it than the other needs in its own language.
    C = _unit(np.stack([X[labels == t].mean(axis=0) for t in range(8)]))
    S = C @ C.T
    for t in range(0, 8, 2):
        same_language_other_needs = [u for u in range(0, 8, 2) if u != t]
        assert S[t, t + 1] < S[t, same_language_other_needs].max()
    g = NeedGrouper(random_state=seed).fit(X, labels, groups=groups)
    assert same_partition(g.need_of_theme_, truth), g.need_of_theme_
    # Without the languages the same vectors do not pair up: the languages are what joins the twins.
    blind = NeedGrouper(random_state=seed).fit(X, labels)
    assert not same_partition(blind.need_of_theme_, truth)


@pytest.mark.parametrize("n", [1, 2, 3, 6, 9])
def test_n_needs_forces_the_count(n):
    X, labels, truth, _ = planted(seed=3)
    g = NeedGrouper(n_needs=n).fit(X, labels)
    assert g.n_needs_ == n
    assert sorted(set(g.need_of_theme_.tolist())) == list(range(n))


def test_n_needs_at_least_the_themes_gives_each_theme_its_own_need():
    X, labels, _, _ = planted(seed=4)
    g = NeedGrouper(n_needs=50).fit(X, labels)
    assert g.n_needs_ == 12 and sorted(g.need_of_theme_.tolist()) == list(range(12))


def test_forced_merges_keep_planted_needs_whole():
    # Forcing fewer needs than planted merges whole needs: no planted need is split.
    X, labels, truth, _ = planted(seed=5)
    g = NeedGrouper(n_needs=2).fit(X, labels)
    for j in range(4):
        assert len(set(g.need_of_theme_[truth == j].tolist())) == 1


def test_min_need_share_folds_small_needs():
    X, labels, truth, _ = planted(seed=6)
    # A fifth, distinct need of one small theme: 25 rows of 505 (5%).
    rng = np.random.default_rng(106)
    small = _unit(rng.normal(size=X.shape[1])) + 0.7 * rng.normal(size=(25, X.shape[1])) / np.sqrt(X.shape[1])
    X = np.vstack([X, small]).astype(np.float32)
    labels = np.concatenate([labels, np.full(25, 12)])
    kept = NeedGrouper(min_need_share=None).fit(X, labels)
    assert kept.n_needs_ == 5 and kept.need_of_theme_[12] == 4      # its own need, the smallest
    folded = NeedGrouper(min_need_share=0.08).fit(X, labels)
    assert folded.n_needs_ == 4
    assert (folded.sizes_ / folded.sizes_.sum() >= 0.08).all()
    assert same_partition(folded.need_of_theme_[:12], truth)


def test_weights_count_items_and_needs_are_numbered_largest_first():
    X, labels, truth, _ = planted(seed=7)
    weight = np.where(np.isin(labels, np.where(truth == 3)[0]), 10.0, 1.0)   # need 3's rows stand for 10 items each
    g = NeedGrouper().fit(X, labels, sample_weight=weight)
    assert g.need_of_theme_[truth == 3].tolist() == [0, 0, 0]
    assert np.all(np.diff(g.sizes_) <= 0)
    assert g.sizes_.sum() == pytest.approx(weight.sum())


def test_other_is_never_grouped_and_does_not_move_the_needs():
    X, labels, truth, _ = planted(seed=8)
    base = NeedGrouper(random_state=1).fit(X, labels)
    # Many "other" rows right inside need 0 and between needs 1 and 2.
    rng = np.random.default_rng(8)
    other = np.vstack([X[labels == 0][:30] + 0.01 * rng.normal(size=(30, X.shape[1])),
                       (X[labels == 3][:30] + X[labels == 6][:30]) / 2])
    g = NeedGrouper(random_state=1).fit(np.vstack([X, other]), np.concatenate([labels, np.full(60, -1)]))
    assert g.need_of_theme_.shape == (12,)
    assert g.need_of_theme_.tolist() == base.need_of_theme_.tolist()
    assert g.sizes_.sum() == pytest.approx(len(labels))      # "other" rows count in no need


@pytest.mark.parametrize("max_rows", [4000, 150])
def test_same_seed_same_needs(max_rows):
    X, labels, truth, _ = planted(n_needs=6, seed=9)
    a = NeedGrouper(random_state=3, max_rows=max_rows).fit(X, labels)
    b = NeedGrouper(random_state=3, max_rows=max_rows).fit(X.copy(), labels.copy())
    assert a.need_of_theme_.tolist() == b.need_of_theme_.tolist()
    assert a.n_needs_ == b.n_needs_


def test_drawing_rows_keeps_the_needs():
    # 720 rows, 150 drawn: themes still group by planted need (and every theme gets a need).
    X, labels, truth, _ = planted(n_needs=6, seed=10)
    g = NeedGrouper(max_rows=150, random_state=0).fit(X, labels)
    assert same_partition(g.need_of_theme_, truth), g.need_of_theme_


def test_edge_cases():
    X, labels, _, _ = planted(seed=11)
    none = NeedGrouper().fit(X, np.full(len(X), -1))
    assert none.n_needs_ == 0 and none.need_of_theme_.shape == (0,)
    one = NeedGrouper().fit(X, np.zeros(len(X), dtype=int))
    assert one.n_needs_ == 1 and one.need_of_theme_.tolist() == [0]


@pytest.mark.parametrize("kwargs, fit_args", [
    ({"n_needs": 0}, {}),
    ({"min_need_share": 1.5}, {}),
    ({}, {"sample_weight": np.zeros(480)}),
    ({}, {"groups": np.array(["en"] * 3)}),
])
def test_bad_arguments_are_refused(kwargs, fit_args):
    X, labels, _, _ = planted(seed=12)
    with pytest.raises(InputError):
        NeedGrouper(**kwargs).fit(X, labels, **fit_args)


def test_samples_planted_needs_each_land_in_one_need(sample_report):
    """On the bundled samples (English and Chinese): 8-12 needs, every planted need with at least 80% of
    its items in one need of its own, and the praise / small talk ("noise") kept out of the planted needs."""
    from collections import Counter

    from helpers import truth_by_item

    from feedbackiq.embed import default_embedder
    from feedbackiq.themes._api import embed_distinct

    fs, report = sample_report
    items = list(fs.items)
    X, inverse = embed_distinct(items, default_embedder(fs))
    theme_of_item = {a.item_id: a.theme_id for a in report.assignments}
    first = np.unique(inverse, return_index=True)[1]
    labels = np.array([theme_of_item[items[i].id] for i in first])
    groups = np.array(["" if items[i].language == "other" else items[i].language for i in first])
    g = NeedGrouper(random_state=0).fit(X, labels, sample_weight=np.bincount(inverse), groups=groups)
    assert 8 <= g.n_needs_ <= 12
    need_of_item = {it.id: (g.need_of_theme_[t] if (t := theme_of_item[it.id]) >= 0 else -1) for it in items}
    truth = {k: v for k, v in truth_by_item(fs).items() if v}
    home = {}
    for planted_need in sorted(set(truth.values()) - {"noise"}):
        needs = Counter(need_of_item[i] for i, v in truth.items() if v == planted_need)
        top, count = max(((n, c) for n, c in needs.items() if n >= 0), key=lambda nc: nc[1])
        assert count >= 0.8 * sum(needs.values()), (planted_need, needs)
        home[planted_need] = top
    assert len(set(home.values())) == len(home), home      # no two planted needs share a need
    noise_needs = [need_of_item[i] for i, v in truth.items() if v == "noise"]
    assert sum(n in home.values() for n in noise_needs) <= 0.25 * len(noise_needs)
