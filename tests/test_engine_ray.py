"""engine="ray": the same vectors and themes as the single-machine path, on a local Ray cluster.

Ray (``feedbackiq[ray]``, about 240 MB installed) is not in the test extra; without it the Ray
tests skip and say so. The cluster is started once for this module in this process (the ``local_ray``
fixture in conftest.py) with 2 CPUs and a small object store.
"""

import importlib.util
import sys
import typing

import numpy as np
import pytest

from typer.testing import CliRunner

import feedbackiq as fiq
from feedbackiq._cli import app
from feedbackiq._errors import InputError, MissingDependencyError
from feedbackiq.embed import EMBEDDER_NAMES, make_embedder
from feedbackiq.embed._base import Embedder
from feedbackiq.engine import ENGINES, MODELS, RayEmbedder, embedder_name, ray_embed, ray_map_rows
from feedbackiq.engine._ray import _gather
from feedbackiq.pipeline import RunConfig
from feedbackiq.pipeline._config import ThemesConfig
from feedbackiq.themes._centroids import nearest_centroid

from helpers import SAMPLES

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="ray is not installed: pip install 'feedbackiq[ray]'")


@pytest.fixture(scope="module")
def reviews():
    return fiq.read_feedback(SAMPLES / "app_reviews.csv")


@needs_ray
@pytest.mark.slow
def test_ray_embed_matches_local_in_input_order(local_ray, reviews):
    texts = [it.text for it in reviews.items[:200]]
    local = make_embedder("minilm", cache=False).embed(texts)
    # Small batches: many blocks, finished in any order, must come back in the order of the texts.
    remote = ray_embed(texts, "minilm", batch_size=16, cache=False)
    assert remote.shape == local.shape == (200, 384)
    np.testing.assert_allclose(remote, local, atol=1e-5)


@needs_ray
@pytest.mark.slow
def test_find_themes_on_ray_gives_the_local_themes(local_ray, reviews):
    embedder = make_embedder("minilm", cache=False)
    local = fiq.find_themes(reviews, embedder=embedder, seed=3)
    remote = fiq.find_themes(reviews, embedder=embedder, seed=3, engine="ray")
    assert len(local.themes) > 1
    pairs = lambda r: [(a.item_id, a.theme_id, a.subtheme_id) for a in r.assignments]  # noqa: E731
    assert pairs(remote) == pairs(local)
    assert [t.keywords for t in remote.themes] == [t.keywords for t in local.themes]
    assert remote.model_ids == local.model_ids


@needs_ray
@pytest.mark.slow
def test_run_with_engine_ray_gives_the_local_run(local_ray, tmp_path, no_llm):
    reviews_csv = SAMPLES / "app_reviews.csv"
    local = fiq.run(reviews_csv, tmp_path / "local")
    remote = fiq.run(reviews_csv, tmp_path / "ray", config=RunConfig.model_validate({"themes": {"engine": "ray"}}))
    pairs = lambda r: [(a.item_id, a.theme_id, a.subtheme_id) for a in r.report.assignments]  # noqa: E731
    assert pairs(remote) == pairs(local)
    assert [t.keywords for t in remote.report.themes] == [t.keywords for t in local.report.themes]


def _nearest_centroid_fn(seed: int = 0, k: int = 7, dim: int = 16):
    """Unit centroids and ``assign(block) -> (labels, similarities)``, a local closure so Ray pickles it by value."""
    C = np.random.default_rng(seed).normal(size=(k, dim)).astype(np.float32)
    C /= np.linalg.norm(C, axis=1, keepdims=True)

    def assign(block):
        return nearest_centroid(block, np.arange(len(block)), C)

    return assign


def _unit_rows(n: int, dim: int = 16, seed: int = 1) -> np.ndarray:
    X = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return X / np.linalg.norm(X, axis=1, keepdims=True)


@needs_ray
@pytest.mark.slow
def test_ray_map_rows_equals_fn_on_all_rows_in_order(local_ray):
    assign = _nearest_centroid_fn()
    X = _unit_rows(3000)
    labels, sims = ray_map_rows(X, assign, batch_size=256)   # 12 blocks over 2 actors, finished in any order
    want_labels, want_sims = assign(X)
    assert len(np.unique(labels)) == 7
    np.testing.assert_array_equal(labels, want_labels)
    np.testing.assert_allclose(sims, want_sims, rtol=1e-6)
    assert labels.dtype == want_labels.dtype and sims.dtype == want_sims.dtype

    # One array out (2-D), and 1-D rows in.
    C = np.eye(16, dtype=np.float32)[:3]
    np.testing.assert_allclose(ray_map_rows(X, lambda b: b @ C.T, batch_size=700), X @ C.T, rtol=1e-6)
    ids = np.arange(2500, dtype=np.int64) * 3
    np.testing.assert_array_equal(ray_map_rows(ids, lambda b: b % 7, batch_size=300), ids % 7)


@needs_ray
@pytest.mark.slow
def test_ray_map_rows_on_zero_rows_and_bad_outputs(local_ray):
    assign = _nearest_centroid_fn()
    labels, sims = ray_map_rows(np.zeros((0, 16), dtype=np.float32), assign)
    assert labels.shape == sims.shape == (0,)
    with pytest.raises(Exception, match="one row per input row"):
        ray_map_rows(_unit_rows(50), lambda b: b[:1], batch_size=20)


def test_gathered_outputs_follow_the_row_column_not_the_batch_order():
    # Ray hands blocks back in whatever order they finish: simulate the worst one, reversed.
    X = np.arange(30, dtype=np.float32).reshape(10, 3)
    batches = [{"row": np.arange(s, min(s + 4, 10)), "out0": X[s:s + 4].sum(1), "out1": X[s:s + 4]}
               for s in range(0, 10, 4)]
    out = _gather(iter(batches[::-1]), 10)
    np.testing.assert_array_equal(out["out0"], X.sum(1))
    np.testing.assert_array_equal(out["out1"], X)
    with pytest.raises(RuntimeError, match="6 rows for 10"):
        _gather(iter(batches[1:]), 10)


def test_model_table_matches_make_embedder():
    assert set(MODELS) == set(EMBEDDER_NAMES)
    for name in ("onnx-int8", "onnx-fp32", "use"):   # cheap to build: their models load lazily
        emb = make_embedder(name, cache=False)
        assert MODELS[name] == (emb.model_id, emb.dim)
        assert embedder_name(make_embedder(name)) == name   # also through the cache wrapper


@needs_ray
@pytest.mark.slow
def test_find_themes_on_ray_assigns_outside_the_sample_like_local(local_ray, reviews):
    embedder = make_embedder("minilm", cache=False)
    small_sample = fiq.ThemeClusterer(max_fit_size=150)   # most texts are assigned, on the workers
    local = fiq.find_themes(reviews, embedder=embedder, clusterer=small_sample)
    remote = fiq.find_themes(reviews, embedder=embedder, clusterer=small_sample, engine="ray")
    pairs = lambda r: [(a.item_id, a.theme_id, a.subtheme_id) for a in r.assignments]  # noqa: E731
    assert len(local.themes) > 1 and pairs(remote) == pairs(local)
    assert [t.keywords for t in remote.themes] == [t.keywords for t in local.themes]


def test_ray_engine_hands_the_rows_outside_the_sample_to_ray_map_rows(monkeypatch, reviews):
    """The wiring, without Ray: the distributed map is replaced by one that runs here and records its input."""
    import feedbackiq.engine as engine
    from feedbackiq.pipeline._stages import PrecomputedEmbedder, distinct_texts

    texts = distinct_texts(reviews)
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(6, 16))
    vectors = (centres[np.arange(len(texts)) % 6] + 0.3 * rng.normal(size=(len(texts), 16))).astype(np.float32)
    embedder = PrecomputedEmbedder(texts, vectors, "fixed-test-vectors")
    calls = []

    def fake_map_rows(X, fn, **kwargs):
        calls.append(len(X))
        return fn(X)

    monkeypatch.setattr(engine, "ray_map_rows", fake_map_rows)
    clusterer = fiq.ThemeClusterer(max_fit_size=120, reduction="pca")
    local = fiq.find_themes(reviews, embedder=embedder, clusterer=clusterer)
    remote = fiq.find_themes(reviews, embedder=embedder, clusterer=clusterer, engine="ray")
    assert calls == [len(texts) - 120]        # one distributed job for every text outside the sample
    assert ([(a.theme_id, a.subtheme_id) for a in remote.assignments]
            == [(a.theme_id, a.subtheme_id) for a in local.assignments])
    assert len(local.themes) > 1


def test_unknown_engine_and_unnamed_embedder_are_refused(reviews):
    with pytest.raises(InputError, match="unknown engine 'spark'"):
        fiq.find_themes(reviews, engine="spark")

    class Remote(Embedder):
        model_id, dim = "text-embedding-3-small", 3

        def embed_batch(self, texts):
            return np.ones((len(texts), 3), dtype=np.float32)

    with pytest.raises(InputError, match="text-embedding-3-small"):
        RayEmbedder(Remote())
    with pytest.raises(InputError, match="unknown embedder 'bert'"):
        ray_embed(["a"], "bert")


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)   # import ray now fails as if not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'feedbackiq\[ray\]'"):
        ray_embed(["battery dies"], "minilm")
    with pytest.raises(MissingDependencyError, match=r"pip install 'feedbackiq\[ray\]'"):
        ray_map_rows(np.zeros((3, 2)), lambda b: b)


def test_engine_choices_match_the_config():
    assert typing.get_args(ThemesConfig.model_fields["engine"].annotation) == ENGINES


@pytest.fixture
def no_llm(monkeypatch):
    for var in ("FEEDBACKIQ_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def test_engine_option_reaches_ray_from_config_and_cli_and_is_not_in_checkpoint_keys(tmp_path, monkeypatch, no_llm):
    reviews_csv = SAMPLES / "app_reviews.csv"
    local = fiq.run(reviews_csv, tmp_path / "run", resume=True)
    monkeypatch.setitem(sys.modules, "ray", None)   # from here on, Ray is not installed
    on_ray = RunConfig.model_validate({"themes": {"engine": "ray", "ray_address": "ray://head:10001"}})
    # The engine does not change results, so it is in no key: the local run's stages are all reused
    # (nothing reaches Ray, which is why this works without it).
    resumed = fiq.run(reviews_csv, tmp_path / "run", config=on_ray, resume=True)
    assert {s.stage: s.status for s in resumed.manifest.stages if s.status != "skipped"} == {
        "ingest": "reused", "embed": "reused", "themes": "reused", "personas": "reused"}
    assert resumed.manifest.config["themes"]["engine"] == "ray"
    assert [a.theme_id for a in resumed.report.assignments] == [a.theme_id for a in local.report.assignments]
    # A fresh run has to embed, on Ray: the missing extra is named.
    with pytest.raises(MissingDependencyError, match=r"pip install 'feedbackiq\[ray\]'"):
        fiq.run(reviews_csv, tmp_path / "fresh", config=on_ray)

    cli = CliRunner()
    for args in (["run", str(reviews_csv), "--out", str(tmp_path / "cli-run"), "--engine", "ray",
                  "--ray-address", "ray://head:10001", "--progress", "quiet"],
                 ["themes", str(reviews_csv), "--out", str(tmp_path / "cli-themes"), "--engine", "ray"]):
        res = cli.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert "pip install 'feedbackiq[ray]'" in res.output and "Traceback" not in res.output
    res = cli.invoke(app, ["run", str(reviews_csv), "--out", str(tmp_path / "o"), "--engine", "spark"])
    assert res.exit_code == 2 and "themes.engine" in res.output
