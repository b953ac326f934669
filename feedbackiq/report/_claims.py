"""The appendix's block on the LLM's claims: what each step kept and dropped, and what came from the offline path.

A reader of the report must see how much of its LLM-written text survived the evidence checks: per LLM
step, the claims made and kept (a name, a need statement, a pain, a message line), the drops by reason,
and the outputs (names, personas, messages) that came from the offline path instead, by why.
"""

from __future__ import annotations

from collections.abc import Sequence

from feedbackiq.report._html import esc, num
from feedbackiq.types import LLMOutcome

__all__ = ["claims_block"]


def _reasons(counts: dict[str, int]) -> str:
    return "<br>".join(f"{num(n)} {esc(why)}" for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def claims_block(outcomes: Sequence[LLMOutcome | None]) -> str:
    """An ``<h3>`` and a table: one row per LLM step (and a total), or ``""`` when no step made a claim or fell
    back (no LLM, or no LLM step ran).

    >>> html = claims_block([LLMOutcome(step="persona drafts", outputs=5, claims=20, claims_kept=17,
    ...                                 claims_dropped={"wrong source": 3}, fallbacks={"privacy threshold": 1})])
    >>> 'id="llm-claims"' in html and "3 wrong source" in html and "1 privacy threshold" in html
    True
    >>> claims_block([None])
    ''
    """
    steps = [o for o in outcomes if o is not None and (o.claims or o.fallbacks)]
    if not steps:
        return ""
    rows = [*steps, *([LLMOutcome.merge("all LLM steps", steps)] if len(steps) > 1 else [])]
    body = "".join(
        f"<tr><td>{esc(o.step)}</td><td class=\"n\">{num(o.claims_kept)} of {num(o.claims)}</td>"
        f"<td>{_reasons(o.claims_dropped)}</td><td class=\"n\">{num(sum(o.fallbacks.values()))} of {num(o.outputs)}</td>"
        f"<td>{_reasons(o.fallbacks)}</td></tr>" for o in rows)
    how = ("Each claim an LLM made (a name, a need statement, a pain or goal, a message line) was kept only when the "
           "items it cites support it: a known reference, a quote that is words of the cited item, no invented "
           "number, objections and buying triggers from sales notes, the report's language. Outputs that came "
           "from the offline path instead (quote or keyword names, extractive personas and messages) are counted "
           "with why.")
    return ('<h3 id="llm-claims">LLM claims and fallbacks</h3>'
            f'<p class="how">{esc(how)}</p><div class="scroll"><table class="plain"><thead><tr><th>LLM step</th>'
            '<th class="n">claims kept</th><th>claims dropped, why</th><th class="n">from the offline path</th>'
            f"<th>why</th></tr></thead><tbody>{body}</tbody></table></div>")
