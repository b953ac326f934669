"""How near in meaning each LLM-written persona and message claim of a finished run is to the items it cites.

    .venv/bin/python evals/claim_support.py runs/llm-eval

Prints one line per kept claim, lowest first: the mean cosine between the claim and its cited items in the
report's own vector space (what the "not supported by its cited items" check compares with ``MIN_SUPPORT``),
the claim and the start of its first cited item. Used to measure that check on a run made before it existed.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import feedbackiq as fiq  # noqa: E402
from feedbackiq.llm import MeaningChecks  # noqa: E402
from feedbackiq.llm._meaning import MIN_SUPPORT  # noqa: E402


def main(run_dir: str) -> None:
    run = fiq.load_run(run_dir)
    texts = {it.id: it.text for it in run.report.feedback.items}
    claims = [("persona", trait, c) for p in (run.personas.personas if run.personas else []) if p.source == "llm"
              for trait in ("pains", "goals", "objections", "buying_triggers") for c in getattr(p, trait)]
    claims += [("message", part, c) for t in (run.translations or []) for m in t.messages if m.source == "llm"
               for part, cs in (("proof", m.proof_points), ("objection", m.objection_handling)) for c in cs]
    meaning = MeaningChecks(run.report)
    rows = sorted(((meaning.support(c.text, [texts[x.item_id] for x in c.citations]), kind, part, c)
                   for kind, part, c in claims if c.citations), key=lambda row: row[0])
    for support, kind, part, c in rows:
        print(f"{support:5.2f} {kind:7} {part:15} {c.text[:70]!r} <- {texts[c.citations[0].item_id][:50]!r}")
    print(f"{sum(s < MIN_SUPPORT for s, *_ in rows)} of {len(rows)} kept claims below MIN_SUPPORT ({MIN_SUPPORT})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/llm-eval")
