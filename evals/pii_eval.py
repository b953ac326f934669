"""Recall and precision of PII redaction on tests/data/pii_cases.jsonl, per kind, shape and split.

    python evals/pii_eval.py                   # dev, test and all
    python evals/pii_eval.py --cases OTHER.jsonl

A true span is recalled when predicted spans (of any kind) cover it entirely; a
predicted span is precise when it overlaps a true span. Spans that carry a
"variant" (a shape of a kind: "us_bare" phones, "bad_checksum" ids) are also
counted under "KIND/variant", so a shape that is always missed cannot hide in
its kind's average.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "tests" / "data" / "pii_cases.jsonl"


def evaluate(split: str | None = None, cases: Path = CASES) -> dict[str, dict[str, float]]:
    """Rows keyed by kind, "KIND/variant" and "ALL"; precision is per predicted kind (nan for variants)."""
    from feedbackiq._redact import Redactor

    tp = defaultdict(int)
    total = defaultdict(int)
    pred_ok = defaultdict(int)
    pred_all = defaultdict(int)
    for line in cases.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        if split and case["split"] != split:
            continue
        found = Redactor().findings(case["text"])
        for s in case["spans"]:
            covered = all(any(f.start <= i < f.end for f in found) for i in range(s["start"], s["end"]))
            for key in [s["kind"]] + ([f"{s['kind']}/{s['variant']}"] if "variant" in s else []):
                total[key] += 1
                tp[key] += covered
        for f in found:
            pred_all[f.kind] += 1
            pred_ok[f.kind] += any(f.start < s["end"] and s["start"] < f.end for s in case["spans"])
    out = {}
    for key in sorted(set(total) | set(pred_all)):
        out[key] = {"recall": tp[key] / total[key] if total[key] else float("nan"),
                    "precision": pred_ok[key] / pred_all[key] if pred_all[key] else float("nan"),
                    "true": total[key], "predicted": pred_all[key]}
    kinds = [k for k in total if "/" not in k]
    out["ALL"] = {"recall": sum(tp[k] for k in kinds) / max(sum(total[k] for k in kinds), 1),
                  "precision": sum(pred_ok.values()) / max(sum(pred_all.values()), 1),
                  "true": sum(total[k] for k in kinds), "predicted": sum(pred_all.values())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES)
    args = parser.parse_args()
    for split in ("dev", "test", None):
        print(f"split: {split or 'all'}")
        for kind, r in evaluate(split, args.cases).items():
            print(f"  {kind:22} recall {100 * r['recall']:6.2f}%  precision {100 * r['precision']:6.2f}%  "
                  f"(true {r['true']}, predicted {r['predicted']})")


if __name__ == "__main__":
    main()
