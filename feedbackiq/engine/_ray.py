"""Embedding on a Ray cluster: Ray Data ``map_batches`` over the texts, one model per worker.

The embedder travels to the workers by *name* (``make_embedder``), never as an object: a loaded
torch or onnxruntime model is large and not always picklable, and each worker builds its own
once, then embeds batch after batch. Rows carry their position so the driver can put the vectors
back in input order whatever order the blocks finish in.

Clustering stays on the driver (it fits on a sample, ``ThemeClusterer(max_fit_size=...)``), so only
the embedding, the part that grows with the data and dominates the time, is distributed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from feedbackiq._errors import InputError, MissingDependencyError
from feedbackiq.embed import EMBEDDER_NAMES, MODELS, Embedder, embedder_name_for, make_embedder

__all__ = ["ENGINES", "MODELS", "RayEmbedder", "ray_embed", "embedder_name"]

ENGINES = ("local", "ray")


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the data extra is what we need, not bare ray)
    except ImportError as exc:
        raise MissingDependencyError("ray[data]", extra="ray", purpose='engine="ray"') from exc
    return ray




def embedder_name(embedder: Embedder) -> str:
    """The ``make_embedder`` name of a local embedder, so a worker can build the same model.

    Only the named local models can be rebuilt on a worker; anything else (an OpenAI endpoint,
    a sentence-transformers directory that may not exist on the workers) is refused.

    >>> from feedbackiq.embed import make_embedder
    >>> embedder_name(make_embedder("onnx-int8"))
    'onnx-int8'
    """
    name = embedder_name_for(embedder.model_id)
    if name is not None:
        return name
    raise InputError(f'engine="ray" needs one of the named local embedders ({", ".join(EMBEDDER_NAMES)}) so '
                     f"each worker can build it; got model {embedder.model_id!r}")


class _EmbedBatch:
    """Built once per Ray worker: loads the model by name, then embeds each batch it is given."""

    def __init__(self, name: str, cache: bool) -> None:
        self.embedder = make_embedder(name, cache=cache)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vecs = self.embedder.embed([str(t) for t in batch["text"]])
        return {"row": batch["row"], "vector": np.asarray(vecs, dtype=np.float32)}


def ray_embed(texts: Sequence[str], embedder_name: str, *, batch_size: int = 256, workers: int | None = None,
              address: str | None = None, cache: bool = True, progress: bool = False) -> np.ndarray:
    """Embed ``texts`` on a Ray cluster; vectors in the order of ``texts``.

    Parameters
    ----------
    texts : sequence of str
    embedder_name : str
        One of ``EMBEDDER_NAMES`` (``make_embedder``); each worker builds this model once.
    batch_size : int, default 256
        Texts per ``map_batches`` call.
    workers : int, optional
        Embedding actors (each takes one CPU). Default: the cluster's CPUs.
    address : str, optional
        Cluster to connect to when Ray is not initialised yet, e.g. ``"ray://head:10001"``;
        default ``$RAY_ADDRESS``, else a local cluster is started. An already initialised Ray
        (``ray.init(...)`` by the caller) is used as it is.
    cache : bool, default True
        Workers read and write the on-disk embedding cache of their own machine.
    progress : bool, default False
        Ray Data's progress bars.

    Returns
    -------
    numpy.ndarray of shape (len(texts), dim), float32
    """
    if embedder_name not in MODELS:
        raise InputError(f"unknown embedder {embedder_name!r}; choose one of {', '.join(EMBEDDER_NAMES)}")
    ray = _import_ray()
    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"))
    texts = list(texts)
    if not texts:
        return np.zeros((0, MODELS[embedder_name][1]), dtype=np.float32)
    ray.data.DataContext.get_current().enable_progress_bars = progress
    n_workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    # Arrow columns, not a list of dicts: a million short texts stay one compact buffer.
    ds = ray.data.from_arrow(pa.table({"row": np.arange(len(texts)), "text": pa.array(texts, pa.large_string())}))
    out = ds.map_batches(_EmbedBatch, fn_constructor_args=(embedder_name, cache), batch_size=batch_size,
                         batch_format="numpy", compute=ray.data.ActorPoolStrategy(min_size=1, max_size=n_workers),
                         num_cpus=1)
    vecs: np.ndarray | None = None
    for batch in out.iter_batches(batch_size=None, batch_format="numpy"):
        if vecs is None:
            vecs = np.empty((len(texts), batch["vector"].shape[1]), dtype=np.float32)
        vecs[batch["row"]] = batch["vector"]
    return vecs


class RayEmbedder(Embedder):
    """An :class:`Embedder` whose work runs on a Ray cluster (see :func:`ray_embed`).

    Built from a local embedder: the same model by name on every worker, and the on-disk cache
    on the workers when the local one was a :class:`~feedbackiq.embed.CachedEmbedder`.
    """

    def __init__(self, local: Embedder, address: str | None = None, batch_size: int = 256) -> None:
        from feedbackiq.embed import CachedEmbedder

        self.name = embedder_name(local)
        self.model_id, self.dim = MODELS[self.name]
        self.cache = isinstance(local, CachedEmbedder)
        self.address = address
        self.batch_size = batch_size

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self.embed(texts)

    def embed(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        # All texts at once: Ray Data splits them into batches and spreads them over the workers.
        return ray_embed(texts, self.name, batch_size=self.batch_size, address=self.address,
                         cache=self.cache, progress=progress)
