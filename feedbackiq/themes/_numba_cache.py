"""Keep UMAP's compiled kernels on disk, so a new process does not compile them again.

Why: umap-learn jit-compiles three numba kernels without ``cache=True``: the k-NN distance
smoothing, the membership strengths and the single-threaded layout epoch (the one a fit with a
``random_state`` uses). Every new process, so every ``feedbackiq run``, compiled them before its
first theme (evals/README.md, "Scale: 1M rows end to end"). numba can cache any dispatcher whose function
lives in a source file; this switches caching on for those three. numba keeps the cache in umap's
``__pycache__`` when that is writable, else in ``$NUMBA_CACHE_DIR`` or its user cache directory,
and invalidates it when umap's source files change.

The parallel layout epoch is left alone on purpose: it is built from the same Python function, and
numba's cache index is keyed by signature and bytecode, not by the ``parallel`` flag, so caching
both would let one load the other's machine code.
"""

from __future__ import annotations

import functools

__all__ = ["CACHED_KERNELS", "cache_umap_kernels"]

# (module, attribute) of each kernel given an on-disk cache.
CACHED_KERNELS = (
    ("umap.umap_", "smooth_knn_dist"),
    ("umap.umap_", "compute_membership_strengths"),
    ("umap.layouts", "_nb_optimize_layout_euclidean_single_epoch"),
)


@functools.cache   # once per process: the first fit switches caching on, later fits only look it up
def cache_umap_kernels() -> tuple[str, ...]:
    """Switch numba's on-disk cache on for :data:`CACHED_KERNELS`; returns the ones switched on.

    A kernel that a umap-learn version renamed, or that is not a numba dispatcher, is skipped: this
    is an optimisation, and umap still works (compiling as before) without it.
    """
    import importlib

    switched = []
    for module_name, attr in CACHED_KERNELS:
        kernel = getattr(importlib.import_module(module_name), attr, None)
        enable = getattr(kernel, "enable_caching", None)
        if enable is None:
            continue
        enable()
        switched.append(f"{module_name}.{attr}")
    return tuple(switched)
