"""Ingest: survey exports, app reviews and CRM notes in; one FeedbackSet with a ledger out."""

from feedbackiq.ingest._api import LAYOUTS, expand_inputs, read_feedback
from feedbackiq.ingest._segments import size_band  # noqa: F401  (for persona titles; not in the public API)
from feedbackiq.ingest._write import load_feedback, write_feedback

__all__ = ["read_feedback", "write_feedback", "load_feedback", "LAYOUTS", "expand_inputs"]
