"""Batch runs: exports -> themes -> names -> personas -> messaging -> card scores -> report, resumable."""

from feedbackiq.pipeline._checkpoint import CheckpointStore, file_sha256, stage_key
from feedbackiq.pipeline._config import EXAMPLE_CONFIG, RunConfig, load_config
from feedbackiq.pipeline._load import load_gtm_outputs, load_run, load_run_report
from feedbackiq.pipeline._lock import run_dir_lock
from feedbackiq.pipeline._progress import JsonLogObserver, Observer, QuietObserver, RichObserver, make_observer
from feedbackiq.pipeline._run import RunResult, run

__all__ = [
    "run",
    "RunResult",
    "load_run",
    "load_run_report",
    "load_gtm_outputs",
    "RunConfig",
    "load_config",
    "EXAMPLE_CONFIG",
    "CheckpointStore",
    "stage_key",
    "file_sha256",
    "run_dir_lock",
    "Observer",
    "QuietObserver",
    "JsonLogObserver",
    "RichObserver",
    "make_observer",
]
