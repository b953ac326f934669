"""ThemeClusterer on synthetic embeddings: estimator conventions, reproducibility, outlier policy, edge cases."""

import numpy as np
import pytest
from helpers import blobs, far_from_blobs, purity

from feedbackiq import EmptyInputError, InputError
from feedbackiq.themes import OTHER, ThemeClusterer, auto_min_cluster_size, split_subthemes
from feedbackiq.themes._centroids import merge_across_groups, unique_rows


def test_init_only_stores_arguments():
    tc = ThemeClusterer(reduction="bogus", min_cluster_size=-3)
    assert tc.reduction == "bogus" and tc.min_cluster_size == -3 and not hasattr(tc, "labels_")
    with pytest.raises(InputError, match="reduction"):
        tc.fit(np.ones((10, 3)))


def test_finds_blobs_without_k():
    X, y = blobs()
    tc = ThemeClusterer(reduction="pca", n_components=5)
    assert tc.fit(X) is tc
    assert tc.n_themes_ == 4 and purity(tc.labels_, y) > 0.95
    assert tc.labels_.shape == tc.probabilities_.shape == (len(X),)
    assert tc.centroids_.shape == (4, X.shape[1])
    sizes = np.bincount(tc.labels_[tc.labels_ >= 0])
    assert list(sizes) == sorted(sizes, reverse=True)  # theme 0 is the largest


@pytest.mark.parametrize("reduction", ["pca", "umap"])
def test_same_input_and_seed_same_themes(reduction):
    X, _ = blobs(seed=3)
    a = ThemeClusterer(reduction=reduction, random_state=7).fit(X).labels_
    b = ThemeClusterer(reduction=reduction, random_state=7).fit(X).labels_
    assert np.array_equal(a, b)


def test_min_cluster_size_scales_with_n():
    sizes = [auto_min_cluster_size(n) for n in (10, 1_000, 10_000, 100_000, 10_000_000)]
    assert sizes == sorted(sizes) and sizes[0] == 5 and sizes[-1] == 500
    assert ThemeClusterer(reduction="pca").fit(blobs(n_per=100)[0]).min_cluster_size_ == auto_min_cluster_size(400)


def test_outlier_policy_reassigns_near_and_keeps_far_in_other():
    X, y = blobs(n_per=60, k=4, dim=64)
    far, _ = far_from_blobs(X, y, 12, seed=5)
    X, y = np.vstack([X, far]), np.concatenate([y, np.full(12, -1)])
    tc = ThemeClusterer(reduction=None, reassign_threshold=0.5, max_other_share=None).fit(X)
    is_far = y < 0
    assert (tc.labels_[is_far] == OTHER).all()  # not forced into a theme
    assert (tc.labels_[~is_far] == OTHER).mean() < 0.05  # blob members are (re)assigned
    assert not tc.reassigned_[tc.labels_ == OTHER].any()
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    for i in np.where(tc.reassigned_)[0]:
        assert Xn[i] @ tc.centroids_[tc.labels_[i]] >= 0.5 - 0.05  # centroids move a little after reassignment
    # threshold -1 reassigns everything: nothing unassigned
    assert (ThemeClusterer(reduction=None, reassign_threshold=-1.0).fit(X).labels_ != OTHER).all()


def test_other_is_capped_and_keeps_the_worst_fitting_items():
    X, y = blobs(n_per=60, k=4, dim=64)
    far, Q = far_from_blobs(X, y, 24, seed=6)
    # half the far points lean a little towards blob 0: they fit it better than the rest, though still badly
    far[:12] += 0.3 * np.linalg.norm(far[:12], axis=1, keepdims=True) * Q[:, 0]
    X = np.vstack([X, far])
    tc = ThemeClusterer(reduction=None, reassign_threshold=0.5, max_other_share=0.045).fit(X)
    other = tc.labels_ == OTHER
    assert other.sum() == int(0.045 * len(X)) == 11  # 24 fit no theme, only 11 may stay in "other" ...
    assert not other[:-12].any()  # ... and they are among the 12 that fit worst
    assert (tc.labels_[240:252] != OTHER).all()  # the leaning ones were forced into a theme
    with pytest.raises(InputError, match="max_other_share"):
        ThemeClusterer(max_other_share=2.0).fit(X)


def test_members_that_do_not_fit_their_theme_go_to_other():
    X, y = blobs(n_per=60, k=4, dim=64)
    tc = ThemeClusterer(reduction=None, min_cluster_size=20, merge_threshold=None, merge_margin=None).fit(X)
    labels = tc.labels_.copy()
    # a row that HDBSCAN put in theme 0 but which is dissimilar to it
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    C = tc.centroids_
    odd = -C[0] + 0.05 * np.random.default_rng(0).normal(size=C.shape[1])
    Xn2 = np.vstack([Xn, odd / np.linalg.norm(odd)]).astype(np.float32)
    labels2 = np.concatenate([labels, [0]])
    out, _, reassigned = tc._reassign(Xn2, labels2, np.ones(len(labels2)))
    assert out[-1] == OTHER and not reassigned[-1]
    assert np.array_equal(out[:-1], labels)


def test_merge_near_duplicate_themes():
    rng = np.random.default_rng(1)
    base = rng.normal(size=32)
    twin = base + rng.normal(0, 0.15, 32)  # two very close groups: the same need said twice
    far = rng.normal(size=32)
    X = np.vstack([c + rng.normal(0, 0.02, (50, 32)) for c in (base, twin, far)]).astype(np.float32)
    kept = ThemeClusterer(reduction=None, merge_threshold=None, min_cluster_size=20).fit(X)
    merged = ThemeClusterer(reduction=None, merge_threshold=0.97, min_cluster_size=20).fit(X)
    assert kept.n_themes_ == 3 and merged.n_themes_ == 2


def test_subthemes_split_large_theme():
    X, y = blobs(n_per=80, k=2, noise=0.02)
    labels = np.zeros(len(X), dtype=int)  # pretend one big theme holds both blobs
    sub = split_subthemes(X, labels, min_size=60)
    assert len(set(sub.tolist()) - {OTHER}) == 2
    assert purity(sub, y) > 0.95
    assert (split_subthemes(X, labels, min_size=1000) == OTHER).all()  # too small to split


@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_tiny_inputs_make_one_theme(n):
    X, _ = blobs(n_per=n, k=1)
    tc = ThemeClusterer().fit(X)
    assert tc.n_themes_ == 1 and (tc.labels_ == 0).all()


def test_identical_vectors():
    X = np.tile(np.arange(1, 9, dtype=np.float32), (300, 1))
    tc = ThemeClusterer().fit(X)
    assert tc.n_themes_ == 1 and (tc.labels_ == 0).all()


def test_bad_arrays():
    with pytest.raises(EmptyInputError):
        ThemeClusterer().fit(np.zeros((0, 5)))
    with pytest.raises(InputError, match="2-D"):
        ThemeClusterer().fit(np.zeros(5))
    with pytest.raises(InputError, match="NaN"):
        ThemeClusterer().fit(np.full((20, 3), np.nan))


def test_margin_merge_joins_a_diffuse_need_cut_in_two_but_not_distinct_needs():
    rng = np.random.default_rng(2)
    centre = rng.normal(size=32)
    diffuse = centre + rng.normal(0, 1.2, (200, 32))          # one broad need, members far from its centroid
    other = rng.normal(size=32) * 2 + rng.normal(0, 0.1, (100, 32))  # a distinct, tight need
    X = np.vstack([diffuse, other]).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    halves = (diffuse @ rng.normal(size=32) > 0).astype(int)  # HDBSCAN-like arbitrary cut of the broad need
    labels = np.concatenate([halves, np.full(100, 2)])
    merged = ThemeClusterer(merge_threshold=None, merge_margin=0.15)._merge(X, labels)
    assert len(set(merged[:200].tolist())) == 1 and merged[200] != merged[0]
    untouched = ThemeClusterer(merge_threshold=None, merge_margin=None)._merge(X, labels)
    assert np.array_equal(untouched, labels)


def test_get_params_round_trips_and_fit_does_not_change_them():
    tc = ThemeClusterer(reduction="pca", min_cluster_size=None, merge_margin=None)
    before = tc.get_params()
    tc.fit(blobs()[0])
    assert tc.get_params() == before and ThemeClusterer(**before).get_params() == before
    assert tc.min_cluster_size is None and tc.min_cluster_size_ > 0  # the learned value goes in the _ attribute


def test_large_sets_fit_on_a_sample_and_assign_the_rest():
    X, y = blobs(n_per=300, k=4)
    full = ThemeClusterer(reduction="pca", max_fit_size=None).fit(X)
    sampled = ThemeClusterer(reduction="pca", max_fit_size=400).fit(X)
    assert sampled.fitted_mask_.sum() == 400 and full.fitted_mask_.all()
    assert sampled.n_themes_ == full.n_themes_ == 4
    assert purity(sampled.labels_, y) > 0.95 and (sampled.labels_ == OTHER).mean() < 0.05
    assert ThemeClusterer(reduction="pca", max_fit_size=400, random_state=3).fit(X).fitted_mask_.sum() == 400


@pytest.mark.parametrize("max_fit_size", [None, 150])
def test_weighted_distinct_rows_equal_repeated_rows(max_fit_size):
    # find_themes passes each distinct text once with its count; that must give the themes of all items.
    X, _ = blobs(n_per=60, far=10)
    rng = np.random.default_rng(3)
    counts = rng.integers(1, 5, len(X))
    repeated = np.repeat(X, counts, axis=0)
    params = dict(reduction="pca", n_components=3, max_fit_size=max_fit_size, random_state=0)
    full = ThemeClusterer(**params).fit(repeated)
    weighted = ThemeClusterer(**params).fit(X, sample_weight=counts)
    assert np.array_equal(np.repeat(weighted.labels_, counts), full.labels_)
    assert np.allclose(weighted.centroids_, full.centroids_, atol=1e-5)
    assert weighted.min_cluster_size_ == full.min_cluster_size_
    with pytest.raises(InputError, match="sample_weight"):
        ThemeClusterer().fit(X, sample_weight=counts[:-1])
    with pytest.raises(InputError, match="positive"):
        ThemeClusterer().fit(X, sample_weight=np.zeros(len(X)))


@pytest.mark.parametrize("n_epochs, rows, expected", [(None, 120, None), (None, 4_096, 200), (50, 120, 50), (50, 5_000, 50)])
def test_n_epochs_reaches_umap(monkeypatch, n_epochs, rows, expected):
    """None: UMAP's own 500 epochs below FAST_LAYOUT_ROWS, 200 from there; a number: that many."""
    import umap

    seen = []

    class Recorded(Exception):
        pass

    class Recording(umap.UMAP):
        def __init__(self, **kwargs):
            seen.append(kwargs.get("n_epochs", "absent"))
            raise Recorded   # the layout itself is not what is tested

    monkeypatch.setattr(umap, "UMAP", Recording)
    X = np.random.default_rng(0).normal(size=(rows, 8)).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    tc = ThemeClusterer(n_epochs=n_epochs, random_state=0)
    with pytest.raises(Recorded):
        tc._reduce(X)
    assert seen == [expected] and tc.get_params()["n_epochs"] == n_epochs


@pytest.mark.parametrize("groups", ["", "other", "en"])
def test_cross_group_merge_with_fewer_than_two_groups_keeps_the_themes(groups):
    """No language known (emoji, numbers: group "") or only one: nothing to merge across, and no
    crash (it raised "zero-size array to reduction operation maximum" with two themes and no group)."""
    X, y = blobs(n_per=20, k=3)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    labels = merge_across_groups(X, y, np.full(len(y), groups), threshold=0.0)
    assert labels.tolist() == y.tolist()
    tc = ThemeClusterer(reduction="pca", n_components=3).fit(X, groups=np.full(len(y), groups))
    assert tc.n_themes_ >= 2


@pytest.mark.parametrize("make", [
    lambda rng: rng.standard_normal((3000, 16)).astype(np.float32),
    lambda rng: np.vstack([rng.standard_normal((500, 8)).astype(np.float32)] * 3)[rng.permutation(1500)],
    lambda rng: np.hstack([np.zeros((40, 5), np.float32), rng.integers(0, 3, (40, 2)).astype(np.float32)]),
])
def test_unique_rows_matches_numpy_unique(make):
    X = make(np.random.default_rng(0))
    first, inverse = unique_rows(X)
    unique, np_inverse = np.unique(X, axis=0, return_inverse=True)
    assert np.array_equal(X[first], unique)
    assert np.array_equal(inverse, np_inverse.reshape(-1))
