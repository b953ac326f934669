"""engine="ray": the same vectors and themes as the single-machine path, on a local Ray cluster.

Ray (``feedbackiq[ray]``, about 240 MB installed) is not in the test extra; without it the Ray
tests skip and say so. The cluster is started in this process with 2 CPUs and a small object store.
"""

import importlib.util
import sys

import numpy as np
import pytest

import feedbackiq as fiq
from feedbackiq._errors import InputError, MissingDependencyError
from feedbackiq.embed import EMBEDDER_NAMES, make_embedder
from feedbackiq.engine import MODELS, RayEmbedder, embedder_name, ray_embed
from feedbackiq.embed._base import Embedder

from conftest import SAMPLES

needs_ray = pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                               reason="ray is not installed: pip install 'feedbackiq[ray]'")


@pytest.fixture(scope="module")
def local_ray():
    import ray

    ray.init(num_cpus=2, object_store_memory=200 * 1024**2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


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


def test_model_table_matches_make_embedder():
    assert set(MODELS) == set(EMBEDDER_NAMES)
    for name in ("onnx-int8", "onnx-fp32", "use"):   # cheap to build: their models load lazily
        emb = make_embedder(name, cache=False)
        assert MODELS[name] == (emb.model_id, emb.dim)
        assert embedder_name(make_embedder(name)) == name   # also through the cache wrapper


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
