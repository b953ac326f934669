"""A static (model2vec) embedder: one stored vector per token, averaged -- no network, no torch.

Why this path exists: a static model distilled from the bundled MiniLM embeds tens of thousands of
texts a second on one core, for quick triage of very large sets. It is made once by
``python evals/distill_static.py`` in a separate environment (``model2vec[distill]`` needs
``transformers < 5.4``, which feedbackiq's own environment must not be pinned to) and kept as an
artefact directory in model2vec's format: ``model.safetensors`` (``embeddings``, optionally
``weights`` and ``mapping``), ``tokenizer.json`` and ``config.json``.

Reading that format needs only ``tokenizers`` and ``safetensors`` (both come with transformers), so
the ``model2vec`` package is not a dependency. Encoding follows ``model2vec.StaticModel.encode``
(0.10.0): the tokenizer without special tokens or padding, unknown tokens dropped, at most
``max_length`` tokens (characters first cut at ``max_length`` x the median token length, as model2vec
does), the rows (times ``weights`` when stored) averaged, then L2-normalised. A text with no known
token (e.g. an empty string) gets the zero vector, as in model2vec.

One step is ours: when the artefact holds ``center.npy`` (distill_static.py stores the mean of the
model2vec vectors of the bundled English sample feedback), it is subtracted from each unit vector,
which is then normalised again. Averaged static vectors
share a large common component, which defeats the clusterer's cosine thresholds; it is removed, as
SIF embeddings do (Arora et al. 2017; evals/README.md, "Static embedding: model2vec distilled from MiniLM").
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
from feedbackiq.embed._local import _normalise

__all__ = ["StaticEmbedder", "DISTILL_SETTINGS", "ARTEFACT_FILES", "CENTER_FILE", "DISTILL_COMMAND", "default_static_dir"]

# How evals/distill_static.py makes the default artefact; part of its directory's key, so a changed
# setting or tool version never reuses an old artefact. model2vec's own defaults, tool pinned.
# The quantization extra only because model2vec 0.10.0's distill imports scikit-learn unconditionally.
DISTILL_SETTINGS = {"tool": "model2vec[distill,quantization]==0.10.0", "pca_dims": 256, "sif_coefficient": 1e-4,
                    "quantize_to": "float16", "pooling": "mean", "center": "mean of datasets/samples English texts"}
ARTEFACT_FILES = ("model.safetensors", "tokenizer.json", "config.json")
CENTER_FILE = "center.npy"   # optional: the common component removed from every vector
DISTILL_COMMAND = "python evals/distill_static.py"
_DEFAULT_MAX_LENGTH = 512   # model2vec's default when config.json has no max_length


def default_static_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where ``distill_static.py`` puts the default artefact: ``{cache}/models/minilm-static-{key}``.

    The key hashes the MiniLM files and :data:`DISTILL_SETTINGS` (nothing is read from the artefact).
    """
    from feedbackiq.embed._onnx import _minilm_dir, export_key

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return root / "models" / f"minilm-static-{export_key(_minilm_dir(), DISTILL_SETTINGS)}"


def _artefact_hash(path: Path) -> str:
    h = hashlib.sha256()
    for name in ARTEFACT_FILES + ((CENTER_FILE,) if (path / CENTER_FILE).is_file() else ()):
        h.update(name.encode())
        with open(path / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


class StaticEmbedder(Embedder):
    """A model2vec static model read from its artefact directory (fast triage: see evals/README.md).

    Parameters
    ----------
    path : path, optional
        The artefact directory. Default: the MiniLM distillation made by
        ``python evals/distill_static.py`` in ``{cache_dir}/models/``.
    batch_size : int, default 1024
    cache_dir : path, optional
        Where the default artefact is looked for; default ``$FEEDBACKIQ_CACHE_DIR`` or ``~/.cache/feedbackiq``.

    Attributes
    ----------
    model_id : str
        ``"{source}-static-{hash}"``, the hash over the artefact's files, so caches and checkpoints
        never mix vectors of two artefacts.

    Examples
    --------
    >>> emb = StaticEmbedder()                                          # doctest: +SKIP
    >>> emb.embed(["battery dies fast", "phone runs out of charge"]).shape   # doctest: +SKIP
    (2, 256)
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, batch_size: int = 1024,
                 cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.path = path
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self._model: tuple | None = None
        self._model_id: str | None = None

    def _dir(self) -> Path:
        path = Path(self.path) if self.path is not None else default_static_dir(self.cache_dir)
        missing = [name for name in ARTEFACT_FILES if not (path / name).is_file()]
        if missing:
            raise EmbeddingError(
                f"no static model at {path} (missing {', '.join(missing)}); make it with: {DISTILL_COMMAND}"
                + (f" --out {path}" if self.path is not None else "")
                + " (from a feedbackiq checkout; it sets up its own environment for model2vec)")
        return path

    @property
    def model_id(self) -> str:  # type: ignore[override]
        if self._model_id is None:
            path = self._dir()
            source = "model2vec"
            info = path / "feedbackiq.json"   # written by distill_static.py: names the model distilled from
            if info.is_file():
                source = json.loads(info.read_text(encoding="utf-8")).get("source", source)
            self._model_id = f"{source}-static-{_artefact_hash(path)}"
        return self._model_id

    @property
    def dim(self) -> int:  # type: ignore[override]
        return int(self._load()[0].shape[1])

    def _load(self) -> tuple:
        if self._model is None:
            path = self._dir()
            try:
                from safetensors.numpy import load_file
                from tokenizers import Tokenizer
            except ImportError:
                raise MissingDependencyError("tokenizers", purpose="the static embedder") from None
            try:
                tensors = load_file(str(path / "model.safetensors"))
                tok = Tokenizer.from_file(str(path / "tokenizer.json"))
                config = json.loads((path / "config.json").read_text(encoding="utf-8"))
            except Exception as exc:  # a truncated or foreign file: say which artefact
                raise EmbeddingError(f"cannot read the static model at {path}: {exc}") from None
            if "embeddings" not in tensors:
                raise EmbeddingError(f"{path / 'model.safetensors'} has no 'embeddings' tensor: not a model2vec artefact")
            # float32 for the sums: float16 rows averaged in float16 lose digits on long texts.
            table = tensors["embeddings"].astype(np.float32)
            weights = tensors.get("weights")
            mapping = tensors.get("mapping")
            tok.no_padding()
            max_length = config.get("max_length", _DEFAULT_MAX_LENGTH)
            if max_length is not None:
                tok.enable_truncation(int(max_length))
            unk = getattr(tok.model, "unk_token", None)
            unk_id = tok.token_to_id(unk) if unk is not None else json.loads(tok.to_str())["model"].get("unk_id")
            median_chars = int(np.median([len(t) for t in tok.get_vocab()]))
            char_limit = None if max_length is None else int(max_length) * median_chars
            center = np.load(path / CENTER_FILE).astype(np.float32) if (path / CENTER_FILE).is_file() else None
            self._model = (table, None if weights is None else weights.astype(np.float32),
                           None if mapping is None else mapping.astype(np.int64), tok, unk_id, char_limit, center)
        return self._model

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        table, weights, mapping, tok, unk_id, char_limit, center = self._load()
        if char_limit is not None:
            texts = [t[:char_limit] for t in texts]
        ids = [e.ids for e in tok.encode_batch(list(texts), add_special_tokens=False)]
        if unk_id is not None:
            ids = [[i for i in row if i != unk_id] for row in ids]
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        out = np.zeros((len(ids), table.shape[1]), dtype=np.float32)
        kept = np.flatnonzero(lengths)
        if len(kept):
            flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
            rows = table[flat if mapping is None else mapping[flat]]
            if weights is not None:
                rows *= weights[flat][:, None]
            # One summed segment per non-empty text (reduceat needs no empty segment).
            starts = np.concatenate(([0], np.cumsum(lengths[kept])[:-1]))
            out[kept] = np.add.reduceat(rows, starts, axis=0) / lengths[kept][:, None]
            if center is not None:   # from the unit vectors, as it was measured; texts with no token stay zero
                out[kept] = _normalise(out[kept]) - center
        return _normalise(out)
