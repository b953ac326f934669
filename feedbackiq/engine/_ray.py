"""The heavy per-row steps on a Ray cluster: Ray Data ``map_batches`` over rows, gathered in order.

Two jobs share one plumbing (:func:`_map_rows`): the rows go to Ray as Arrow blocks (one buffer per
column, never a Python object per row) with a ``row`` column holding each row's position, a pool of
actors (one CPU each) runs a callable over batches, and the driver writes each output batch back at
its rows, so the result is in input order whatever order the blocks finish in.

- :func:`ray_embed`: texts in, vectors out. The embedder travels to the workers by *name*
  (``make_embedder``), never as an object: a loaded torch or onnxruntime model is large and not
  always picklable, and each actor builds its own once, then embeds batch after batch.
- :func:`ray_map_rows`: any picklable function of a block of rows, e.g. the assignment of rows
  outside the fitted sample to the nearest theme (a pure function of a few fitted arrays).

Fitting (on a sample), merges and descriptions stay on the driver.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from feedbackiq._errors import InputError, MissingDependencyError
from feedbackiq.embed import EMBEDDER_NAMES, MODELS, Embedder, embedder_name_for, make_embedder

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["ENGINES", "MODELS", "RayEmbedder", "ray_embed", "ray_map_rows", "embedder_name"]

ENGINES = ("local", "ray")


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  (the data extra is what we need, not bare ray)
    except ImportError as exc:
        raise MissingDependencyError("ray[data]", extra="ray", purpose='engine="ray"') from exc
    return ray


def _connect(ray, address: str | None, progress: bool) -> None:
    """Join (or start) the cluster unless the caller already did ``ray.init(...)``."""
    if not ray.is_initialized():
        ray.init(address=address or os.environ.get("RAY_ADDRESS"))
    ray.data.DataContext.get_current().enable_progress_bars = progress


def _map_rows(ray, columns: dict[str, pa.Array], n: int, udf: type, args: tuple, *, batch_size: int,
              workers: int | None) -> dict[str, np.ndarray]:
    """Run ``udf(*args)`` (built once per actor) over batches of the ``n`` rows of ``columns``.

    ``udf(batch)`` gets a numpy batch holding ``row`` and returns a dict holding ``row`` and its
    outputs; returns each output column with the rows back in input order.
    """
    if batch_size < 1:
        raise InputError(f"batch_size must be at least 1, got {batch_size}")
    import pyarrow as pa   # here, not at import: ``find_themes`` imports this module on every engine

    table = pa.table({"row": pa.array(np.arange(n, dtype=np.int64)), **columns})
    # One block per batch (zero-copy slices): a single large block would be one task on one worker.
    ds = ray.data.from_arrow([table.slice(start, batch_size) for start in range(0, n, batch_size)])
    n_workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    out = ds.map_batches(udf, fn_constructor_args=args, batch_size=batch_size, batch_format="numpy",
                         compute=ray.data.ActorPoolStrategy(min_size=1, max_size=n_workers), num_cpus=1)
    return _gather(out.iter_batches(batch_size=None, batch_format="numpy"), n)


def _gather(batches: Iterator[dict[str, np.ndarray]], n: int) -> dict[str, np.ndarray]:
    """Write each batch's columns at its ``row`` positions; each output is allocated once, from the first batch."""
    out: dict[str, np.ndarray] = {}
    seen = 0
    for batch in batches:
        rows = batch["row"]
        for name, values in batch.items():
            if name == "row":
                continue
            if name not in out:
                out[name] = np.empty((n, *values.shape[1:]), dtype=values.dtype)
            out[name][rows] = values
        seen += len(rows)
    if seen != n:   # a lost or repeated block would leave rows of np.empty garbage: never return that
        raise RuntimeError(f"Ray returned {seen} rows for {n}")
    return out


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
    texts = list(texts)
    if not texts:
        return np.zeros((0, MODELS[embedder_name][1]), dtype=np.float32)
    _connect(ray, address, progress)
    import pyarrow as pa

    # large_string: one offsets buffer of int64, so a million texts past 2 GiB of UTF-8 still fit.
    column = pa.array(texts, pa.large_string())
    del texts
    return _map_rows(ray, {"text": column}, len(column), _EmbedBatch, (embedder_name, cache),
                     batch_size=batch_size, workers=workers)["vector"]


class _ApplyRows:
    """Built once per Ray worker: holds ``fn`` (unpickled once, not per batch) and applies it to each batch."""

    def __init__(self, fn: Callable[[np.ndarray], Any]) -> None:
        self.fn = fn

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = batch["row"]
        result = self.fn(batch["x"])
        outputs = _as_outputs(result, len(rows))
        names = [f"out{i}" for i in range(len(outputs))] if isinstance(result, tuple) else ["out"]
        return {"row": rows, **dict(zip(names, outputs))}


def _as_outputs(result: Any, n: int) -> list[np.ndarray]:
    outputs = [np.asarray(r) for r in (result if isinstance(result, tuple) else (result,))]
    for i, o in enumerate(outputs):
        if o.ndim == 0 or len(o) != n:
            raise InputError(f"ray_map_rows: fn returned output {i} of shape {o.shape} for a block of {n} rows; "
                             "each output needs one row per input row")
    return outputs


def _rows_column(X: np.ndarray) -> pa.Array:
    """The rows of ``X`` as one Arrow column: plain for 1-D, Ray's tensor column (one buffer) for more."""
    if X.ndim == 1:
        import pyarrow as pa

        return pa.array(X)
    from ray.data.extensions import ArrowTensorArray

    return ArrowTensorArray.from_numpy(np.ascontiguousarray(X))


def ray_map_rows(X: np.ndarray, fn: Callable[[np.ndarray], Any], *, batch_size: int = 8192,
                 address: str | None = None, workers: int | None = None, progress: bool = False) -> Any:
    """``fn(X)`` computed block by block on a Ray cluster, for a ``fn`` whose rows are independent.

    The rows of ``X`` become a Ray Data dataset (Arrow blocks of ``batch_size`` rows, with each row's
    position), ``fn`` runs on them as ``map_batches`` in a pool of actors (one CPU each; ``fn`` is
    unpickled once per actor), and the outputs are gathered back in the order of ``X``.

    Parameters
    ----------
    X : numpy.ndarray of shape (n, ...)
        Numeric rows (e.g. vectors). ``fn`` gets read-only blocks ``X[i:j]``.
    fn : callable
        ``fn(block) -> array`` or ``tuple of arrays``, each with ``len(block)`` rows (1-D or 2-D),
        picklable (a module-level function, a bound method of a fitted model, ``functools.partial``).
        Its result for a row must not depend on the other rows of the block: the blocks are not
        the caller's choice.
    batch_size : int, default 8192
        Rows per block and per ``fn`` call.
    address : str, optional
        Cluster to join when Ray is not initialised yet (``"ray://head:10001"``); default
        ``$RAY_ADDRESS``, else a local cluster is started. An initialised Ray is used as it is.
    workers : int, optional
        Actors (one CPU each); default: the cluster's CPUs.
    progress : bool, default False
        Ray Data's progress bars.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        What ``fn(X)`` returns (an array, or a tuple of arrays), rows in the order of ``X``.
        With 0 rows, ``fn`` is called here on the empty ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from feedbackiq.engine import ray_map_rows
    >>> X = np.random.default_rng(0).normal(size=(10_000, 8)).astype(np.float32)
    >>> centroids = X[:3]
    >>> def nearest(block):
    ...     sims = block @ centroids.T
    ...     return sims.argmax(1), sims.max(1)
    >>> labels, sims = ray_map_rows(X, nearest, batch_size=2048)    # doctest: +SKIP
    >>> bool((labels == nearest(X)[0]).all())                        # doctest: +SKIP
    True
    """
    ray = _import_ray()
    X = np.asarray(X)
    if X.ndim == 0:
        raise InputError("ray_map_rows: X must have at least one dimension (rows)")
    if len(X) == 0:   # nothing to send: the caller still gets fn's own shapes and dtypes
        return fn(X)
    _connect(ray, address, progress)
    out = _map_rows(ray, {"x": _rows_column(X)}, len(X), _ApplyRows, (fn,), batch_size=batch_size, workers=workers)
    if "out" in out:
        return out["out"]
    return tuple(out[f"out{i}"] for i in range(len(out)))


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
