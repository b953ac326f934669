"""Embedding backends, the disk cache and language routing (real models, loaded once)."""

import numpy as np
import pytest

from feedbackiq import EmbeddingError
from feedbackiq.embed import CachedEmbedder, Embedder, MiniLMEmbedder, SentenceTransformerEmbedder, USEEmbedder, choose_embedder


@pytest.fixture(scope="module")
def minilm():
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def use():
    return USEEmbedder()


@pytest.mark.parametrize("name", ["minilm", "use"])
def test_real_models_shape_norm_similarity(request, name):
    emb = request.getfixturevalue(name)
    texts = ["The battery drains very fast", "My phone runs out of charge by noon", "Support never answered my ticket"]
    if name == "use":
        texts += ["电池续航太差了", "手机不到中午就没电了", "客服一直不回复"]
    v = emb.embed(texts)
    assert v.dtype == np.float32 and v.shape == (len(texts), emb.dim)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    sims = v @ v.T
    assert sims[0, 1] > sims[0, 2] + 0.1
    if name == "use":
        assert sims[3, 4] > sims[3, 5] + 0.1
        assert sims[0, 3] > sims[0, 5]  # cross-lingual: battery (en) is nearer battery (zh) than support (zh)


class Counting(Embedder):
    model_id = "counting-v1"
    dim = 3
    batch_size = 2

    def __init__(self):
        self.seen = []

    def embed_batch(self, texts):
        self.seen.extend(texts)
        v = np.array([[len(t), t.count("a") + 1, 1.0] for t in texts], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_embed_batches_through_embed_batch():
    e = Counting()
    out = e.embed(["a", "bb", "ccc", "dddd", "eeeee"])
    assert out.shape == (5, 3) and e.seen == ["a", "bb", "ccc", "dddd", "eeeee"]
    assert e.embed([]).shape == (0, 3)


def test_cache_hits_duplicates_and_processes(tmp_path):
    inner = Counting()
    c = CachedEmbedder(inner, cache_dir=tmp_path)
    first = c.embed(["x", "y", "x", "zz"])
    assert inner.seen == ["x", "y", "zz"] and (c.hits_, c.misses_) == (0, 3)
    again = c.embed(["zz", "x", "y"])
    assert inner.seen == ["x", "y", "zz"] and c.hits_ == 3
    assert np.array_equal(again, first[[3, 0, 1]])
    other = CachedEmbedder(Counting(), cache_dir=tmp_path)  # a second process/instance on the same dir
    other.embed(["x", "new"])
    assert other.inner.seen == ["new"]


def test_cache_in_the_old_layout_is_copied_once(tmp_path):
    """A cache written by the first layout (WITHOUT ROWID table ``vectors``) still serves its vectors."""
    import hashlib
    import sqlite3

    vec = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    old = sqlite3.connect(tmp_path / "embeddings.sqlite")
    old.execute("CREATE TABLE vectors (model TEXT, key BLOB, vec BLOB, PRIMARY KEY (model, key)) WITHOUT ROWID")
    old.execute("INSERT INTO vectors VALUES (?, ?, ?)", ("counting-v1", hashlib.sha256(b"cached before").digest(), vec.tobytes()))
    old.commit()
    old.close()
    inner = Counting()
    c = CachedEmbedder(inner, cache_dir=tmp_path)
    out = c.embed(["cached before", "new"])
    assert inner.seen == ["new"] and np.array_equal(out[0], vec)
    db = sqlite3.connect(tmp_path / "embeddings.sqlite")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"embeddings"} and db.execute("SELECT count(*) FROM embeddings").fetchone() == (2,)
    again = CachedEmbedder(Counting(), cache_dir=tmp_path)   # opened again: nothing left to copy
    assert np.array_equal(again.embed(["new", "cached before"]), out[[1, 0]]) and again.inner.seen == []


def test_cache_keys_by_model(tmp_path):
    class Other(Counting):
        model_id = "other-v1"

    CachedEmbedder(Counting(), cache_dir=tmp_path).embed(["same text"])
    o = Other()
    CachedEmbedder(o, cache_dir=tmp_path).embed(["same text"])
    assert o.seen == ["same text"]


def test_cached_real_model_is_identical(tmp_path, minilm):
    c = CachedEmbedder(minilm, cache_dir=tmp_path)
    a = c.embed(["battery drains", "camera blurry"])
    b = CachedEmbedder(minilm, cache_dir=tmp_path).embed(["battery drains", "camera blurry"])
    assert np.array_equal(a, b)


def test_routing_by_language():
    assert choose_embedder(["en"] * 100, cache=False).model_id == "all-MiniLM-L6-v2"
    assert choose_embedder(["zh"] * 100, cache=False).model_id == "use-multilingual-v3"
    assert choose_embedder(["en"] * 60 + ["zh"] * 40, cache=False).model_id == "use-multilingual-v3"
    assert choose_embedder(["en"] * 99 + ["zh"] * 1, cache=False).model_id == "all-MiniLM-L6-v2"
    assert isinstance(choose_embedder(["en"]), CachedEmbedder)


def _items(texts, tagged=True):
    from feedbackiq._lang import detect_language
    from feedbackiq.types import FeedbackItem, FeedbackSet

    return FeedbackSet(items=[FeedbackItem(id=f"i{i}", text=t, source="review",
                                           **({"language": detect_language(t)} if tagged else {}))
                              for i, t in enumerate(texts)])


def test_routing_any_language_that_is_not_english_to_the_multilingual_model():
    """Russian, Spanish or German make up a real share of the set: MiniLM (English-only) would cluster
    them near chance, so the set goes to multilingual USE; English sets stay on MiniLM, also with
    answers without words (emoji, scores) and with items built without a language tag."""
    from feedbackiq.embed import default_embedder

    english = [f"battery drains fast on day {i}" for i in range(75)]
    use, minilm = "use-multilingual-v3", "all-MiniLM-L6-v2"
    assert choose_embedder(["en"] * 75 + ["other"] * 25, cache=False).model_id == use
    assert choose_embedder(["en"] * 90 + ["other"] * 10, cache=False).model_id == minilm
    assert choose_embedder(["en"] * 50 + [None] * 50, cache=False).model_id == minilm
    for foreign in ("Батарея садится за пару часов", "La batería se agota muy rápido", "Der Akku ist nach zwei Stunden leer"):
        assert default_embedder(_items(english + [foreign] * 25), cache=False).model_id == use, foreign
        assert default_embedder(_items([foreign] * 40), cache=False).model_id == use, foreign
    assert default_embedder(_items(english + ["👍 10/10", "5", "😡😡"] * 20), cache=False).model_id == minilm
    assert default_embedder(_items(english, tagged=False), cache=False).model_id == minilm   # default tag "other"
    assert default_embedder(_items(["10/10", "👍 9", "42"] * 10), cache=False).model_id == minilm


def test_missing_model_fails_fast_offline(tmp_path):
    emb = SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(EmbeddingError, match="offline"):
        emb.embed(["hello"])


def test_openai_compatible_embeddings_endpoint(tmp_path):
    from feedbackiq.embed import OpenAIEmbedder
    from feedbackiq.testing import OpenAIServer

    with OpenAIServer(embedding_dim=8) as srv:
        emb = OpenAIEmbedder("text-embedding-test", base_url=srv.base_url, api_key="k", batch_size=2)
        v = emb.embed(["a", "b", "a"])
        assert v.shape == (3, 8) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
        assert np.array_equal(v[0], v[2]) and not np.array_equal(v[0], v[1])
        reqs = [r["json"] for r in srv.requests]
        assert [r["input"] for r in reqs] == [["a", "b"], ["a"]] and reqs[0]["model"] == "text-embedding-test"
        cached = CachedEmbedder(emb, cache_dir=tmp_path)
        cached.embed(["a", "b", "a"])
        assert [r["json"]["input"] for r in srv.requests][2:] == [["a", "b"]]  # one call, duplicates once
