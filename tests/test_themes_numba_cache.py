"""UMAP's kernels are compiled once and loaded from numba's on-disk cache by the next process."""

import json
import subprocess
import sys

import numpy as np
import pytest

from feedbackiq.themes._numba_cache import CACHED_KERNELS

# Fits a small UMAP reduction the way ThemeClusterer does and reports, per cached kernel, how many
# times numba compiled it (misses) and loaded it from disk (hits).
_CHILD = """
import importlib, json, sys
import numba.core.config
import numpy as np
import umap   # pynndescent's own kernels (cache=True) load from their usual cache first
# then the kernels switched on by cache_umap_kernels go to the test's directory, which numba's
# user-provided cache locator prefers to umap's __pycache__
numba.core.config.CACHE_DIR = sys.argv[1]
from feedbackiq.themes._cluster import ThemeClusterer
from feedbackiq.themes._numba_cache import CACHED_KERNELS
import umap.layouts
X = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
ThemeClusterer(random_state=0)._reduce(X / np.linalg.norm(X, axis=1, keepdims=True))
stats = {}
for mod, attr in CACHED_KERNELS:
    s = getattr(importlib.import_module(mod), attr).stats
    stats[attr] = [sum(s.cache_hits.values()), sum(s.cache_misses.values())]
parallel = umap.layouts._nb_optimize_layout_euclidean_single_epoch_parallel
stats["parallel_is_cached"] = type(parallel._cache).__name__ != "NullCache"
print(json.dumps(stats))
"""


def _fit_in_new_process(cache_dir):
    # Not $NUMBA_CACHE_DIR: that would move every numba cache, and pynndescent would compile all of its
    # kernels again (25 s) into the empty directory.
    out = subprocess.run([sys.executable, "-c", _CHILD, str(cache_dir)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow   # two fresh processes; the first compiles pynndescent's kernels into the new directory too
def test_second_process_loads_umap_kernels_from_disk(tmp_path):
    first = _fit_in_new_process(tmp_path)
    second = _fit_in_new_process(tmp_path)
    for _, attr in CACHED_KERNELS:
        hits, misses = first[attr]
        assert misses >= 1 and hits == 0, (attr, first)       # compiled, then written
        hits, misses = second[attr]
        assert hits >= 1 and misses == 0, (attr, second)      # loaded, not compiled
    assert not first["parallel_is_cached"]    # shares bytecode with the serial kernel: must stay uncached
    assert any(tmp_path.rglob("*.nbi"))


def test_kernels_get_an_on_disk_cache_that_a_fit_uses():
    """In this process: the three kernels have a file cache (and the parallel twin has none), and a
    fit reads or writes it: numba compiled it into the cache or loaded it from there."""
    import importlib

    import umap.layouts

    from feedbackiq.themes._cluster import ThemeClusterer
    from feedbackiq.themes._numba_cache import cache_umap_kernels

    assert cache_umap_kernels() == tuple(f"{m}.{a}" for m, a in CACHED_KERNELS)
    X = np.random.default_rng(0).normal(size=(120, 8)).astype(np.float32)
    ThemeClusterer(random_state=0)._reduce(X / np.linalg.norm(X, axis=1, keepdims=True))
    for mod, attr in CACHED_KERNELS:
        kernel = getattr(importlib.import_module(mod), attr)
        assert type(kernel._cache).__name__ == "FunctionCache", attr
        stats = kernel.stats
        assert sum(stats.cache_hits.values()) + sum(stats.cache_misses.values()) >= 1, attr
    assert type(umap.layouts._nb_optimize_layout_euclidean_single_epoch_parallel._cache).__name__ == "NullCache"
