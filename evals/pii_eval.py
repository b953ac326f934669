"""Recall and precision of PII redaction on tests/data/pii_cases.jsonl, per kind and split.

    python evals/pii_eval.py

A true span is recalled when predicted spans (of any kind) cover it entirely; a
predicted span is precise when it overlaps a true span.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_cases.jsonl"


def evaluate(split: str | None = None) -> dict[str, dict[str, float]]:
    from feedbackiq._redact import Redactor

    tp = defaultdict(int)
    total = defaultdict(int)
    pred_ok = defaultdict(int)
    pred_all = defaultdict(int)
    for line in CASES.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if split and case["split"] != split:
            continue
        found = Redactor().findings(case["text"])
        for s in case["spans"]:
            total[s["kind"]] += 1
            covered = all(any(f.start <= i < f.end for f in found) for i in range(s["start"], s["end"]))
            tp[s["kind"]] += covered
        for f in found:
            pred_all[f.kind] += 1
            pred_ok[f.kind] += any(f.start < s["end"] and s["start"] < f.end for s in case["spans"])
    out = {}
    for kind in sorted(set(total) | set(pred_all)):
        out[kind] = {"recall": tp[kind] / total[kind] if total[kind] else float("nan"),
                     "precision": pred_ok[kind] / pred_all[kind] if pred_all[kind] else float("nan"),
                     "true": total[kind], "predicted": pred_all[kind]}
    out["ALL"] = {"recall": sum(tp.values()) / max(sum(total.values()), 1),
                  "precision": sum(pred_ok.values()) / max(sum(pred_all.values()), 1),
                  "true": sum(total.values()), "predicted": sum(pred_all.values())}
    return out


def main() -> None:
    for split in ("dev", "test", None):
        print(f"split: {split or 'all'}")
        for kind, r in evaluate(split).items():
            print(f"  {kind:7} recall {100 * r['recall']:6.2f}%  precision {100 * r['precision']:6.2f}%  (true {r['true']}, predicted {r['predicted']})")


if __name__ == "__main__":
    main()
