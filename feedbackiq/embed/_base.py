"""The embedding interface every backend implements."""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

__all__ = ["Embedder"]


class Embedder(abc.ABC):
    """Turns texts into L2-normalised float32 vectors.

    Subclasses implement :meth:`embed_batch` only; :meth:`embed` batches, shows
    progress and returns one ``(n, dim)`` array. ``model_id`` names the model and
    its version exactly enough to key caches and checkpoints.

    Examples
    --------
    >>> import numpy as np
    >>> class Lengths(Embedder):
    ...     model_id = "lengths-v1"
    ...     dim = 2
    ...     def embed_batch(self, texts):
    ...         v = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    ...         return v / np.linalg.norm(v, axis=1, keepdims=True)
    >>> Lengths().embed(["a", "abc"]).shape
    (2, 2)
    """

    model_id: str = ""
    dim: int = 0
    batch_size: int = 64
    #: True when the vectors are already at hand (a lookup, not a model): ``engine="ray"`` then
    #: has nothing to send to the cluster for embedding.
    precomputed: bool = False
    #: True to hand :meth:`embed_batch` texts in length order (rows still returned in input order):
    #: a model pads each batch to its longest text, so batches of similar lengths pad less.
    length_order: bool = False

    @abc.abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Embed one batch; return a float32 array of shape ``(len(texts), dim)``."""

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Embed any number of texts in batches of ``batch_size`` (in length order if ``length_order``)."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if self.length_order else None
        starts = range(0, len(texts), self.batch_size)
        if progress and len(texts) > self.batch_size:
            from rich.progress import track

            starts = track(starts, description=f"Embedding with {self.model_id}")
        # Filled in place, not stacked from a list of chunks: a large set is never held twice.
        out: np.ndarray | None = None
        for start in starts:
            rows = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            batch = np.asarray(self.embed_batch(texts[rows] if order is None else [texts[i] for i in rows]),
                               dtype=np.float32)
            if out is None:   # the width is known from the first batch (remote models report it late)
                out = np.empty((len(texts), batch.shape[1]), dtype=np.float32)
            out[rows] = batch
        return out
