import atexit
import contextlib
import errno
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "datasets" / "samples"


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


def assert_ledger_complete(fs):
    """Every data row of every file is accounted for, exactly."""
    counts = fs.ledger.row_counts()
    assert counts, "ledger has no files"
    for path, c in counts.items():
        assert c["rows_unaccounted"] == 0, (path, c)
        assert c["rows_used"] + c["rows_skipped"] == c["rows"], (path, c)
    item_entries = [e for e in fs.ledger.entries if e.outcome == "item"]
    assert sorted(e.item_id for e in item_entries) == sorted(i.id for i in fs.items)
    assert len({i.id for i in fs.items}) == len(fs.items), "item ids must be unique"
    for e in fs.ledger.entries:
        if e.outcome == "skipped":
            assert e.reason is not None


@contextlib.contextmanager
def reads_denied(*paths):
    """Make ``paths`` unreadable as they are to a user without rights to them: mode 000 and, for root
    (whom no mode stops), ``open`` raising the PermissionError the OS would. Checked on entry, so a
    test using it really reads a file it may not read."""
    import builtins
    import io

    denied = {os.path.realpath(p) for p in paths}
    real_open = io.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        for p in paths:
            os.chmod(p, 0)
        if os.geteuid() == 0:
            mp.setattr(io, "open", guarded)
            mp.setattr(builtins, "open", guarded)
        for p in paths:
            with pytest.raises(PermissionError):
                open(p, "rb")
        try:
            yield
        finally:
            for p in paths:
                os.chmod(p, 0o644)


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


def truth_by_item(fs, column: str = "theme") -> dict:
    """Planted truth (``theme`` or ``framing``) per item id, joined on the exports' own ids."""
    import csv

    truth = {}
    for name, key in (("app_reviews.csv", "review_id"), ("crm_notes.csv", "note_id")):
        with (SAMPLES / "truth" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                truth[(name.split(".")[0], row[key])] = row[column]
    with (SAMPLES / "truth" / "survey_export.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[("survey_export", row["ResponseId"] + row["column"])] = row[column]
    out = {}
    for it in fs.items:
        stem = it.origin.file.rsplit("/", 1)[-1].split(".")[0]
        if stem == "survey_export":
            out[it.id] = truth.get((stem, it.respondent_id + it.metadata["question_column"]))
        elif stem in ("app_reviews", "crm_notes"):
            out[it.id] = truth.get((stem, it.metadata["source_id"]))
    return out


def majority_truth_by_theme(fs, report, column: str = "framing") -> dict:
    """For each theme id, the planted truth value most of its items carry."""
    from collections import Counter

    truth = truth_by_item(fs, column)
    per_theme: dict = {}
    for a in report.assignments:
        if truth.get(a.item_id):
            per_theme.setdefault(a.theme_id, Counter())[truth[a.item_id]] += 1
    return {t: c.most_common(1)[0][0] for t, c in per_theme.items()}


def majority_truth_by_need(fs, report, column: str = "theme") -> dict:
    """For each need (and non-need group) id, the planted truth value most of its items carry."""
    from collections import Counter

    truth = truth_by_item(fs, column)
    need_of = {tid: n.id for n in (*report.needs, *report.non_needs) for tid in n.theme_ids}
    per_need: dict = {}
    for a in report.assignments:
        if truth.get(a.item_id) and a.theme_id in need_of:
            per_need.setdefault(need_of[a.theme_id], Counter())[truth[a.item_id]] += 1
    return {n: c.most_common(1)[0][0] for n, c in per_need.items()}
