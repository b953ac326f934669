"""Fit on a sample, predict the rest: ThemeClusterer.predict, fit_sample_then_assign, representative_sample."""

import pickle

import numpy as np
import pytest
from helpers import blobs, far_from_blobs, purity

from feedbackiq import InputError
from feedbackiq.themes import OTHER, ThemeClusterer
from feedbackiq.themes import fit_sample_then_assign
from feedbackiq.themes._assign import centroid_vote
from feedbackiq.themes._sample import representative_sample, sample_neighbourhood, typical_theme_size

PARAMS = dict(reduction="pca", n_components=3, random_state=0)


@pytest.fixture(scope="module")
def data():
    return blobs(n_per=150, k=4, far=12)


def test_predict_on_the_fitted_rows_gives_their_themes(data):
    X, y = data
    tc = ThemeClusterer(**PARAMS).fit(X)
    pred, sim = tc.predict_with_similarity(X)
    # Every row that is in a theme and nearest to its own centroid (all the blob rows here) keeps it.
    own = tc.labels_ >= 0
    nearest = (X / np.linalg.norm(X, axis=1, keepdims=True)) @ tc.centroids_.T
    expected = own & (nearest.argmax(axis=1) == tc.labels_)
    assert expected[y >= 0].all()
    assert np.array_equal(pred[expected], tc.labels_[expected])
    assert (sim[pred == OTHER] == 0).all() and (sim[pred >= 0] >= tc.other_cutoff_).all()


def test_fit_above_max_fit_size_is_fit_on_sample_then_predict_rest(data):
    X, y = data
    sampled = ThemeClusterer(**PARAMS, max_fit_size=250).fit(X)
    assert sampled.fitted_mask_.sum() == 250 and purity(sampled.labels_, y) > 0.95
    # The same by hand: fit on the sampled rows alone (theme size and min_samples scaled to the sample
    # as fit scales them), then predict the rest with the fitted state that the assignment step sees.
    mask = sampled.fitted_mask_
    seen = {}

    def assign(block):
        seen.update(cutoff=tc.other_cutoff_, centroids=tc.centroids_.copy(), vote_vectors=tc.vote_vectors_,
                    vote_labels=tc.vote_labels_)
        return tc.predict_with_similarity(block)

    tc = ThemeClusterer(**PARAMS, max_fit_size=250)
    fit_sample_then_assign(tc, X, assign=assign)
    assert np.array_equal(tc.labels_, sampled.labels_)
    n_neighbors, min_samples = sampled.fitted_neighbourhood_
    on_sample = ThemeClusterer(**{**PARAMS, "max_fit_size": None, "n_neighbors": n_neighbors, "min_samples": min_samples,
                                  "min_cluster_size": max(5, round(sampled.min_cluster_size_ * 250 / len(X)))}).fit(X[mask])
    assert np.array_equal(sampled.labels_[mask], on_sample.labels_)
    assert np.allclose(on_sample.centroids_, seen["centroids"], atol=1e-6)
    on_sample.other_cutoff_ = seen["cutoff"]   # learned on rows outside the sample
    # ... and the sampled texts in a theme vote (a fit on everything has no vote).
    assert on_sample.vote_vectors_ is None and tc.vote_vectors_ is not None
    sampled_rows = X[mask] / np.linalg.norm(X[mask], axis=1, keepdims=True)
    same = (seen["vote_vectors"] @ sampled_rows.T).argmax(axis=1)   # each voter's row (the sample is in another order)
    assert np.allclose(seen["vote_vectors"], sampled_rows[same], atol=1e-6) and len(set(same.tolist())) == len(same)
    assert np.array_equal(seen["vote_labels"], on_sample.labels_[same]) and len(same) == (on_sample.labels_ >= 0).sum()
    on_sample.vote_vectors_, on_sample.vote_labels_ = seen["vote_vectors"], seen["vote_labels"]
    assert np.array_equal(sampled.labels_[~mask], on_sample.predict(X[~mask]))
    assert (sampled.reassigned_[~mask] == (sampled.labels_[~mask] >= 0)).all()
    # Final centroids are over all rows; the function with the default assignment is what fit does.
    assert np.allclose(tc.centroids_, sampled.centroids_) and not np.allclose(sampled.centroids_, seen["centroids"])


def test_sample_fit_is_deterministic_and_assign_is_pluggable(data):
    X, _ = data
    a = ThemeClusterer(**PARAMS, max_fit_size=250).fit(X)
    b = ThemeClusterer(**PARAMS, max_fit_size=250).fit(X)
    assert np.array_equal(a.labels_, b.labels_) and np.array_equal(a.fitted_mask_, b.fitted_mask_)
    assert not np.array_equal(ThemeClusterer(**{**PARAMS, "random_state": 1}, max_fit_size=250).fit(X).fitted_mask_,
                              a.fitted_mask_)
    seen = []

    def everything_other(block):   # a stand-in for a distributed assignment
        seen.append(len(block))
        return np.full(len(block), OTHER), np.zeros(len(block))

    c = fit_sample_then_assign(ThemeClusterer(**PARAMS, max_fit_size=250), X, assign=everything_other)
    assert sum(seen) == len(X) - 250 and (c.labels_[~c.fitted_mask_] == OTHER).all()
    assert np.array_equal(c.labels_[c.fitted_mask_], a.labels_[a.fitted_mask_])


def test_predict_is_batch_independent_and_pickles(data):
    X, _ = data
    tc = ThemeClusterer(**PARAMS, max_fit_size=250).fit(X)
    whole = tc.predict_with_similarity(X)
    for k in (1, 77, 400):
        parts = [tc.predict_with_similarity(X[:k]), tc.predict_with_similarity(X[k:])]
        assert np.array_equal(np.concatenate([p[0] for p in parts]), whole[0])
        # (a one-row block takes another BLAS kernel: the last float bit may differ)
        assert np.allclose(np.concatenate([p[1] for p in parts]), whole[1], atol=1e-6)
    copy = pickle.loads(pickle.dumps(tc))
    assert np.array_equal(copy.predict(X), whole[0]) and copy.other_cutoff_ == tc.other_cutoff_
    with pytest.raises(InputError):
        tc.predict(X[0])


def two_lobe_themes(rng, per=30, noise=0.03):
    """Theme 0 in two lobes (around x and y), theme 1 around a direction between them and z; rows
    near the x lobe, leaning towards theme 1: nearer theme 1's centroid than theme 0's."""
    def around(c, n):
        v = np.asarray(c, dtype=np.float32) + rng.normal(0, noise, (n, 3)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    vectors = np.vstack([around([1, 0, 0], per), around([0, 1, 0], per), around([1, 0.6, 0.5], 2 * per)])
    labels = np.repeat([0, 1], 2 * per)
    centroids = np.vstack([vectors[labels == t].mean(axis=0) for t in (0, 1)])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    return vectors, labels, centroids, around([1, 0.2, 0.1], 50)


def test_the_vote_keeps_rows_in_their_lobe_of_a_two_lobe_theme():
    vectors, labels, centroids, rows = two_lobe_themes(np.random.default_rng(0))
    nearest = (rows @ centroids.T).argmax(axis=1)
    assert (nearest == 1).all()                       # the nearest centroid misplaces every row
    tc = ThemeClusterer(reduction=None)
    tc.n_themes_, tc.centroids_, tc.other_cutoff_ = 2, centroids, 0.3
    tc.vote_vectors_, tc.vote_labels_ = None, None     # as after fitting everything: the centroid alone
    assert (tc.predict(rows) == 1).all()
    tc.vote_vectors_, tc.vote_labels_ = vectors, labels
    pred, sim = tc.predict_with_similarity(rows)
    assert (pred == 0).all()                          # their nearest sampled texts are theme 0's x lobe
    assert np.allclose(sim, rows @ centroids[0], atol=1e-6)   # the similarity is to the chosen theme
    # A row in theme 1 stays there, and a row far from both is "other" by its chosen theme's cosine.
    assert tc.predict([[1, 0.6, 0.5], [0, 0, -1]]).tolist() == [1, OTHER]
    # Only a near tie is overturned: with no weight on the vote it is the nearest centroid again.
    assert (centroid_vote(rows, centroids, vectors, labels, weight=0.0)[0] == 1).all()


def test_the_vote_is_deterministic_and_independent_of_the_batches():
    rng = np.random.default_rng(1)
    vectors, labels, centroids, rows = two_lobe_themes(rng, per=40, noise=0.15)
    rows = np.vstack([rows, vectors + rng.normal(0, 0.05, vectors.shape).astype(np.float32)])
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    whole = centroid_vote(rows, centroids, vectors, labels)
    assert np.array_equal(centroid_vote(rows, centroids, vectors, labels)[0], whole[0])
    assert len(set(whole[0].tolist())) == 2
    for cut in (1, 13, 99):
        parts = [centroid_vote(rows[:cut], centroids, vectors, labels), centroid_vote(rows[cut:], centroids, vectors, labels)]
        assert np.array_equal(np.concatenate([p[0] for p in parts]), whole[0])
        assert np.allclose(np.concatenate([p[1] for p in parts]), whole[1], atol=1e-6)
    # Shuffled rows get the same themes; fewer vectors than neighbours and a theme without any are fine.
    perm = rng.permutation(len(rows))
    assert np.array_equal(centroid_vote(rows[perm], centroids, vectors, labels)[0], whole[0][perm])
    few = centroid_vote(rows, centroids, vectors[labels == 1][:3], np.ones(3, dtype=int))
    assert set(few[0].tolist()) <= {0, 1} and np.isfinite(few[1]).all()


def test_sample_fit_assigns_the_rest_with_the_vote_and_a_full_fit_does_not(data):
    X, _ = data
    full = ThemeClusterer(**PARAMS).fit(X)
    assert full.vote_vectors_ is None and full.vote_labels_ is None
    sampled = ThemeClusterer(**PARAMS, max_fit_size=250).fit(X)
    fitted = sampled.fitted_mask_
    assert len(sampled.vote_vectors_) == len(sampled.vote_labels_) <= 250
    assert sampled.vote_vectors_.dtype == np.float32 and set(sampled.vote_labels_.tolist()) == set(range(sampled.n_themes_))
    # Every sampled text in a theme votes, once, with its sample-fit theme.
    Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
    member = fitted & (sampled.labels_ >= 0)
    assert np.allclose(np.sort(sampled.vote_vectors_, axis=0), np.sort(Xn[member], axis=0), atol=1e-6)


def test_rows_far_from_every_theme_are_other(data):
    X, y = data
    tc = ThemeClusterer(**{**PARAMS, "max_other_share": None}).fit(X[y >= 0])
    assert tc.other_cutoff_ == tc.reassign_threshold   # no cap: the threshold itself
    far, _ = far_from_blobs(X[y >= 0], y[y >= 0], 30, seed=5)
    assert (tc.predict(far) == OTHER).all()
    near = X[y >= 0][:30] + 0.01 * far[:30]
    assert (tc.predict(near) >= 0).all()
    # With the cap, the cutoff is the similarity below which max_other_share of the fitted items lie.
    capped = ThemeClusterer(**{**PARAMS, "max_other_share": 0.05}).fit(X)
    assert capped.other_cutoff_ <= capped.reassign_threshold
    assert (capped.predict(X) == OTHER).mean() <= 0.05 + 1 / len(X)
    assert (capped.predict(far) == OTHER).all()


def test_weighted_sample_keeps_the_heaviest_rows():
    w = np.ones(1000)
    w[[3, 500, 999]] = [40, 30, 20]
    picked = representative_sample(w, 100, random_state=0)
    assert len(picked) == 100 == len(set(picked.tolist())) and {3, 500, 999} <= set(picked.tolist())
    assert np.array_equal(picked, np.sort(picked))
    assert np.array_equal(representative_sample(w, 100, 0), picked)
    assert np.array_equal(representative_sample(np.ones(50), 80, 0), np.arange(50))


def test_sample_neighbourhoods_are_scaled_only_when_the_themes_are_small_in_the_sample():
    # 4 themes of 150: about 60 sampled vectors a theme, more than twice n_neighbors (15), so the
    # sample is fitted with the full set's neighbourhoods (as at or below max_fit_size).
    X, _ = blobs(n_per=150, k=4)
    large = ThemeClusterer(**PARAMS, max_fit_size=300).fit(X)
    assert large.fitted_neighbourhood_ == (15, 5) != sample_neighbourhood(15, 5, 0.5)
    assert typical_theme_size(large.labels_[large.fitted_mask_]) >= 30
    assert ThemeClusterer(**PARAMS).fit(X).fitted_neighbourhood_ == (15, 5)
    # 40 themes of 16: 8 sampled vectors a theme; HDBSCAN's min_samples of 5 then blurs them, so the
    # sample is fitted again with the neighbourhoods scaled to its density, and those labels are kept.
    X, y = blobs(n_per=16, k=40, noise=0.03, seed=3)
    small = ThemeClusterer(**PARAMS, max_fit_size=320).fit(X)
    assert small.fitted_neighbourhood_ == sample_neighbourhood(15, 5, 0.5) == (8, 2)
    mask = small.fitted_mask_
    by_hand = ThemeClusterer(**{**PARAMS, "max_fit_size": None, "n_neighbors": 8, "min_samples": 2,
                                "min_cluster_size": max(5, round(small.min_cluster_size_ * 320 / len(X)))}).fit(X[mask])
    assert np.array_equal(small.labels_[mask], by_hand.labels_)
    unscaled = ThemeClusterer(**{**PARAMS, "max_fit_size": None,
                                 "min_cluster_size": max(5, round(small.min_cluster_size_ * 320 / len(X)))}).fit(X[mask])
    assert typical_theme_size(unscaled.labels_) < 30 and not np.array_equal(unscaled.labels_, by_hand.labels_)


def test_typical_theme_size_is_the_theme_of_the_median_member():
    labels = np.array([0] * 50 + [1] * 5 + [2] * 5 + [3] * 5 + [-1] * 100)
    assert typical_theme_size(labels) == 50          # most members are in the large theme
    assert typical_theme_size(np.array([0] * 5 + [1] * 5 + [2] * 50)) == 50
    assert typical_theme_size(np.array([0] * 30 + [1] * 31)) == 31
    assert typical_theme_size(np.array([0, 1, 2, 2])) == 1   # the lower median
    assert typical_theme_size(np.full(4, OTHER)) == 0
