import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from helpers import SAMPLES

# Shared helpers (paths, ledger checks, planted truth) are in helpers.py: import them from there, never
# from this file (pytest loads it itself; an import would run it a second time, under another name).
collect_ignore = ["perturb"]   # sitecustomize.py is loaded by Python itself, not collected (--doctest-modules)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _perturb_numerics() -> None:
    """With FEEDBACKIQ_TEST_PERTURB set (the second run of ``make test``), move every embedding by
    seeded noise, here and in every subprocess a test starts (tests/perturb/sitecustomize.py)."""
    if not os.environ.get("FEEDBACKIQ_TEST_PERTURB"):
        return
    folder = str(Path(__file__).parent / "perturb")
    if folder not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [folder, os.environ.get("PYTHONPATH")]))
    spec = importlib.util.spec_from_file_location("feedbackiq_test_perturb", os.path.join(folder, "sitecustomize.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)   # installs itself (once per process)


_perturb_numerics()


# Set at import, before any fixture of any scope runs: no test may read or fill the user's
# ~/.cache/feedbackiq (vectors cached there by other runs would make results depend on history).
os.environ["FEEDBACKIQ_CACHE_DIR"] = tempfile.mkdtemp(prefix="feedbackiq-test-cache-")
atexit.register(shutil.rmtree, os.environ["FEEDBACKIQ_CACHE_DIR"], ignore_errors=True)


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="module")
def local_ray():
    """One in-process Ray (2 CPUs, a small object store) shared by the Ray tests of a module (it takes
    seconds to start). Module scope: shut down when that module is done, not left running under the
    memory and timing tests of later modules."""
    import ray

    ray.init(num_cpus=2, object_store_memory=200 * 1024**2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="session")
def sample_report():
    """The bundled samples read and themed once per test session: ``(feedback_set, report)``."""
    import feedbackiq as fiq

    fs = fiq.read_feedback(SAMPLES)
    return fs, fiq.find_themes(fs, seed=0)
