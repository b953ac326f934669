"""Human-readable summaries of pipeline objects (plain text, for the console and logs)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedbackiq.types import FeedbackSet

__all__ = ["feedback_set_summary"]


def feedback_set_summary(fs: "FeedbackSet") -> str:
    """Items by source and language, files with their rows, skip reasons, respondents, dates."""
    items = fs.items
    lines = [f"{len(items)} feedback items from {len(fs.ledger.files)} file(s)"]
    counts = fs.ledger.row_counts()
    for rec in fs.ledger.files:
        c = counts[rec.path]
        enc = f", {rec.encoding}" if rec.encoding else ""
        lines.append(
            f"  {rec.path}: {rec.format}{enc}, {rec.layout} ({rec.source.value}); {c['rows']} rows -> "
            f"{c['items']} items, {c['rows_used']} rows used, {c['rows_skipped']} skipped"
        )
    for skipped in fs.ledger.skipped_files:
        lines.append(f"  {skipped.path}: skipped, {skipped.reason}")
    by_source = Counter(i.source.value for i in items)
    by_lang = Counter(i.language for i in items)
    lines.append("  by source: " + ", ".join(f"{k} {v}" for k, v in by_source.most_common()))
    lines.append("  by language: " + ", ".join(f"{k} {v}" for k, v in by_lang.most_common()))
    respondents = {i.respondent_id for i in items if i.respondent_id}
    lines.append(f"  distinct respondents/accounts: {len(respondents)}")
    dates = [i.created_at for i in items if i.created_at]
    if dates:
        lines.append(f"  dates: {min(dates):%Y-%m-%d} to {max(dates):%Y-%m-%d}")
    segs = fs.segment_columns()
    if segs:
        lines.append("  segment columns: " + ", ".join(segs))
    mapped = fs.ledger.segment_values
    if mapped:
        lines.append(f"  segment values counted as another spelling: {len(mapped)} (e.g. "
                     + ", ".join(f"{m.written} -> {m.counted_as}" for m in mapped[:3]) + "; ledger.segment_values)")
    conflicts = fs.ledger.segment_conflicts
    if conflicts:
        lines.append(f"  conflicting segment values: {len({c.respondent_id for c in conflicts})} respondents/accounts, "
                     f"each counted once under {conflicts[0].rule} (e.g. {conflicts[0].text()}; "
                     "ledger.segment_conflicts)")
    reasons = fs.ledger.skip_reasons()
    if reasons:
        lines.append("  skipped: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    return "\n".join(lines)
