"""The static (model2vec-format) embedder, on tiny artefacts written by hand here."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file
from tokenizers import Tokenizer, normalizers, pre_tokenizers
from tokenizers.models import WordPiece

from feedbackiq import EmbeddingError, InputError
from feedbackiq.embed import StaticEmbedder, make_embedder

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "battery", "dies", "fast", "phone", "##s", "charge", "电", "池", "差"]
ID = {t: i for i, t in enumerate(VOCAB)}
DIM = 6


def write_artefact(path: Path, *, seed: int = 0, weights=None, mapping=None, rows: int | None = None,
                   config: dict | None = None) -> np.ndarray:
    """A model2vec-format directory over VOCAB (a BERT-style WordPiece tokenizer); returns the table."""
    tok = Tokenizer(WordPiece({t: i for i, t in enumerate(VOCAB)}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True, handle_chinese_chars=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    path.mkdir(parents=True, exist_ok=True)
    tok.save(str(path / "tokenizer.json"))
    table = np.random.default_rng(seed).normal(size=(rows or len(VOCAB), DIM)).astype(np.float16)
    tensors = {"embeddings": table}
    if weights is not None:
        tensors["weights"] = np.asarray(weights, dtype=np.float64)
    if mapping is not None:
        tensors["mapping"] = np.asarray(mapping, dtype=np.int64)
    save_file(tensors, str(path / "model.safetensors"))
    (path / "config.json").write_text(json.dumps({"model_type": "model2vec", "normalize": True, **(config or {})}))
    return table.astype(np.float32)


def unit(v):
    return v / np.linalg.norm(v)


@pytest.fixture
def artefact(tmp_path):
    table = write_artefact(tmp_path / "m2v")
    return tmp_path / "m2v", table


def test_mean_of_token_rows_normalised(artefact):
    path, table = artefact
    v = StaticEmbedder(path).embed(["Battery fast", "battery xyzzy FAST", "phones", "battery"])
    assert v.shape == (4, DIM) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    expected = unit((table[ID["battery"]] + table[ID["fast"]]) / 2)
    assert np.allclose(v[0], expected, atol=1e-5)
    assert np.allclose(v[1], expected, atol=1e-5), "unknown words are dropped, not averaged in as [UNK]"
    assert np.allclose(v[2], unit(table[ID["phone"]] + table[ID["##s"]]), atol=1e-5)   # subwords, no [CLS]/[SEP]
    assert np.allclose(v[3], unit(table[ID["battery"]]), atol=1e-5)


def test_deterministic_and_independent_of_batching(artefact):
    path, _ = artefact
    texts = ["battery dies fast", "", "phone charge", "电池差", "battery " * 50, "xyzzy"]
    a = StaticEmbedder(path).embed(texts)
    b = StaticEmbedder(path, batch_size=2).embed(texts)
    c = StaticEmbedder(path).embed(texts[::-1])[::-1]
    assert np.array_equal(a, b) and np.array_equal(a, c)


def test_empty_and_all_unknown_texts_get_the_zero_vector(artefact):
    path, _ = artefact
    v = StaticEmbedder(path).embed(["", "   ", "xyzzy plugh", "battery"])
    assert not v[:3].any()
    assert np.isclose(np.linalg.norm(v[3]), 1.0)


def test_chinese_characters_are_tokens(artefact):
    path, table = artefact
    v = StaticEmbedder(path).embed(["电池", "电池差", "电池 battery"])
    assert np.allclose(v[0], unit(table[ID["电"]] + table[ID["池"]]), atol=1e-5)
    assert np.allclose(v[1], unit(table[ID["电"]] + table[ID["池"]] + table[ID["差"]]), atol=1e-5)
    assert np.allclose(v[2], unit(table[ID["电"]] + table[ID["池"]] + table[ID["battery"]]), atol=1e-5)


def test_weights_and_vocabulary_mapping(tmp_path):
    # A quantised vocabulary: 3 stored rows shared by the tokens through `mapping`, each token weighted.
    mapping = np.arange(len(VOCAB)) % 3
    weights = np.linspace(0.5, 2.0, len(VOCAB))
    table = write_artefact(tmp_path, rows=3, weights=weights, mapping=mapping)
    v = StaticEmbedder(tmp_path).embed(["battery dies"])
    b, d = ID["battery"], ID["dies"]
    assert np.allclose(v[0], unit(table[mapping[b]] * weights[b] + table[mapping[d]] * weights[d]), atol=1e-5)


def test_stored_common_component_is_removed(artefact):
    path, table = artefact
    plain, plain_id = StaticEmbedder(path).embed(["battery dies", ""]), StaticEmbedder(path).model_id
    center = np.linspace(-0.3, 0.3, DIM).astype(np.float32)
    np.save(path / "center.npy", center)
    after = StaticEmbedder(path)
    v = after.embed(["battery dies", ""])
    assert np.allclose(v[0], unit(plain[0] - center), atol=1e-5)
    assert not v[1].any(), "a text with no token stays the zero vector"
    assert after.model_id != plain_id, "the center is part of the artefact's hash"


def test_truncated_at_max_length_tokens(tmp_path):
    table = write_artefact(tmp_path, config={"max_length": 2})
    v = StaticEmbedder(tmp_path).embed(["电 池 差 电", "battery fast"])
    assert np.allclose(v[0], unit(table[ID["电"]] + table[ID["池"]]), atol=1e-5)
    # As model2vec: characters are cut first at max_length x the median token length (2 x 5 here),
    # so "battery fast" becomes "battery fa" and the cut word is unknown.
    assert np.allclose(v[1], unit(table[ID["battery"]]), atol=1e-5)


def test_model_id_keys_on_the_artefact(tmp_path):
    write_artefact(tmp_path / "a", seed=0)
    write_artefact(tmp_path / "b", seed=1)
    (tmp_path / "b" / "feedbackiq.json").write_text(json.dumps({"source": "all-MiniLM-L6-v2"}))
    a, b = StaticEmbedder(tmp_path / "a"), StaticEmbedder(tmp_path / "b")
    assert a.model_id.startswith("model2vec-static-") and b.model_id.startswith("all-MiniLM-L6-v2-static-")
    assert a.model_id.rsplit("-", 1)[1] != b.model_id.rsplit("-", 1)[1]
    assert a.dim == DIM
    emb = make_embedder("minilm-static", path=tmp_path / "a")   # the cache wrapper keys on the same id
    assert emb.model_id == a.model_id
    assert np.array_equal(emb.embed(["battery"]), a.embed(["battery"]))


def test_missing_artefact_says_how_to_make_it(tmp_path):
    with pytest.raises(EmbeddingError, match=r"python evals/distill_static.py --out .*nowhere"):
        StaticEmbedder(tmp_path / "nowhere").embed(["x"])
    # The default location (under FEEDBACKIQ_CACHE_DIR, an empty temp dir in the tests).
    with pytest.raises(EmbeddingError, match=r"minilm-static-[0-9a-f]{16} .*make it with: python evals/distill_static.py \("):
        make_embedder("minilm-static", cache=False).model_id
    write_artefact(tmp_path / "half")
    (tmp_path / "half" / "tokenizer.json").unlink()
    with pytest.raises(EmbeddingError, match="missing tokenizer.json"):
        StaticEmbedder(tmp_path / "half").embed(["x"])
    with pytest.raises(InputError, match="takes none"):
        make_embedder("minilm", path=tmp_path)


REAL_CACHE = Path.home() / ".cache" / "feedbackiq"


@pytest.mark.slow
def test_real_distillation_matches_model2vec():
    """The MiniLM artefact made by evals/distill_static.py gives model2vec's own vectors (its venv runs them),
    less the stored common component."""
    from feedbackiq.embed import default_static_dir

    path, python = default_static_dir(REAL_CACHE), REAL_CACHE / "m2v-venv" / "bin" / "python"
    if not (path / "model.safetensors").exists() or not python.exists():
        pytest.skip("run `python evals/distill_static.py` first")
    texts = ["The battery drains very fast", "", "电池续航太差", "Love the new dashboard! 👍",
             "how do i change the pin on my card " * 200]
    code = ("import json, sys, numpy as np; from model2vec import StaticModel; "
            "m = StaticModel.from_pretrained(sys.argv[1]); "
            "print(json.dumps(m.encode(json.loads(sys.argv[2]), normalize=True).astype(float).tolist()))")
    out = subprocess.run([str(python), "-c", code, str(path), json.dumps(texts)], check=True, capture_output=True,
                         text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}).stdout
    ref = np.array(json.loads(out), dtype=np.float32)
    center = np.load(path / "center.npy")   # feedbackiq's one step after model2vec's
    ref = np.where(ref.any(axis=1, keepdims=True), ref - center, 0)
    ref /= np.where(ref.any(axis=1, keepdims=True), np.linalg.norm(ref, axis=1, keepdims=True), 1)
    ours = StaticEmbedder(path).embed(texts)
    assert ours.shape == ref.shape
    assert np.allclose(ours, ref, atol=2e-3), np.abs(ours - ref).max()
