import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "datasets" / "samples"


# Set at import, before any fixture of any scope runs: no test may read or fill the user's
# ~/.cache/feedbackiq (vectors cached there by other runs would make results depend on history).
os.environ["FEEDBACKIQ_CACHE_DIR"] = tempfile.mkdtemp(prefix="feedbackiq-test-cache-")


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
