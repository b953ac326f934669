"""The ONNX int8 MiniLM: same space as the torch model, export cached by model + settings."""

import sys

import numpy as np
import pytest

from feedbackiq import MissingDependencyError
from feedbackiq.embed import MiniLMEmbedder, OnnxMiniLMEmbedder, make_embedder
from feedbackiq.embed._onnx import _export_settings, _minilm_dir, export_key

TEXTS = ["The battery drains very fast", "My phone runs out of charge by noon", "Support never answered my ticket",
         "I want to cancel my subscription and get a refund", "the app crashes every time I open the camera",
         "Shipping took three weeks and nobody told me why", "Love the new dashboard! Much faster 👍",
         "how do i change the pin on my card " * 20]   # long: truncated at 256 tokens like sentence-transformers


@pytest.fixture(scope="module")
def int8_dir(tmp_path_factory):
    """One int8 export shared by the tests that only use it (an export takes a few seconds)."""
    return tmp_path_factory.mktemp("onnx-int8")


@pytest.fixture(scope="module")
def torch_vectors():
    return MiniLMEmbedder().embed(TEXTS)


@pytest.mark.parametrize("quantize, min_cos", [(False, 0.9999), (True, 0.98)])
def test_onnx_vectors_match_torch(tmp_path_factory, int8_dir, torch_vectors, quantize, min_cos):
    emb = OnnxMiniLMEmbedder(quantize=quantize, cache_dir=int8_dir if quantize else tmp_path_factory.mktemp("fp32"),
                             batch_size=4)
    v = emb.embed(TEXTS)
    assert v.shape == torch_vectors.shape and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    cos = (v * torch_vectors).sum(axis=1)
    assert cos.min() >= min_cos, cos
    # Length-sorted batching returns rows in input order: each text is nearest its own torch vector.
    assert ((v @ torch_vectors.T).argmax(axis=1) == np.arange(len(TEXTS))).all()


def test_int8_one_word_texts_lose_most(int8_dir):
    # Known and documented: a 1-3 token text has little to average over, so int8 noise shows most
    # (cosine ~0.95-0.97 to torch on "ok", "thanks"; sentences 0.98-0.997).
    short = ["ok", "thanks", "bad", "great app"]
    v = OnnxMiniLMEmbedder(cache_dir=int8_dir).embed(short)
    cos = (v * MiniLMEmbedder().embed(short)).sum(axis=1)
    assert cos.min() >= 0.94, cos


def test_export_is_made_once_and_reused(tmp_path):
    emb = OnnxMiniLMEmbedder(cache_dir=tmp_path)
    emb.embed(["first"])
    files = sorted((tmp_path / "onnx").glob("*.onnx"))
    assert len(files) == 1 and "int8" in files[0].name
    stamp = files[0].stat().st_mtime_ns
    OnnxMiniLMEmbedder(cache_dir=tmp_path).embed(["second"])
    assert sorted((tmp_path / "onnx").glob("*.onnx")) == files and files[0].stat().st_mtime_ns == stamp
    assert not list((tmp_path / "onnx").glob(".*tmp*")), "no temporary files left behind"


def test_export_key_follows_model_files_and_settings(tmp_path):
    real = _minilm_dir()
    base = export_key(real, _export_settings(True, 256))
    assert export_key(real, _export_settings(True, 256)) == base
    assert export_key(real, _export_settings(False, 256)) != base
    assert export_key(real, _export_settings(True, 128)) != base
    for name in ("config.json", "model.safetensors"):
        (tmp_path / name).write_bytes((real / name).read_bytes()[:1000])
    assert export_key(tmp_path, _export_settings(True, 256)) != base   # other weights, other key


def test_model_ids_keep_caches_apart():
    assert OnnxMiniLMEmbedder().model_id != MiniLMEmbedder().model_id != OnnxMiniLMEmbedder(quantize=False).model_id
    assert make_embedder("onnx-int8").model_id == "all-MiniLM-L6-v2-onnx-int8"
    with pytest.raises(ValueError, match="unknown embedder 'bert'"):
        make_embedder("bert")


def test_missing_onnxruntime_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)   # import onnxruntime now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"feedbackiq\[fast\]"):
        OnnxMiniLMEmbedder(cache_dir=tmp_path).embed(["x"])
