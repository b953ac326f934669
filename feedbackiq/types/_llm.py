"""How the LLM calls of one step ended: counted, with the reasons of the failures."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from feedbackiq.types._base import _Model

__all__ = ["LLMOutcome"]


class LLMOutcome(_Model):
    """The calls of one LLM step (one per theme, persona, feature message or card target).

    ``calls`` counts the calls made or served from the cache: ``succeeded`` plus every failure,
    grouped by reason in ``failed``. Calls the budget stopped before they were sent are
    ``not_run``; ``withheld`` is what the privacy threshold kept from being sent at all.

    What the step writes (``outputs``: names, personas, messages) is LLM-written or comes from the offline
    path; ``fallbacks`` counts the latter by why (a failed call, the privacy threshold, a name in the wrong
    language, no evidence in a segment ...). Each claim a model makes (a name, a need statement, a pain, a
    message line) is kept or dropped on its own: ``claims`` made, ``claims_kept``, ``claims_dropped`` by reason.

    Examples
    --------
    >>> o = LLMOutcome(step="theme names", calls=12, failed={"HTTP 500 after retries": 8, "invalid output": 4})
    >>> o.summary()
    '12 of 12 theme names failed: 8 HTTP 500 after retries, 4 invalid output'
    >>> o.all_failed(), LLMOutcome(step="theme names", calls=3, succeeded=3).summary() is None
    (True, True)
    """

    step: str
    calls: int = 0
    succeeded: int = 0
    failed: dict[str, int] = Field(default_factory=dict)
    not_run: int = 0
    withheld: int = 0
    outputs: int = 0
    fallbacks: dict[str, int] = Field(default_factory=dict)
    claims: int = 0
    claims_kept: int = 0
    claims_dropped: dict[str, int] = Field(default_factory=dict)

    def n_failed(self) -> int:
        return sum(self.failed.values())

    def all_failed(self) -> bool:
        """Calls were made and none of them succeeded."""
        return self.calls > 0 and self.succeeded == 0

    def summary(self) -> str | None:
        """One line on what failed or was not run, and why; ``None`` when every call succeeded."""
        total = self.calls + self.not_run
        parts = []
        if self.failed:
            reasons = _by_reason(self.failed)
            parts.append(f"{self.n_failed()} of {total} {self.step} failed: {reasons}")
        if self.not_run:
            budget = "LLM budget reached"
            parts.append(f"{self.not_run} not run: {budget}" if parts else f"{self.not_run} of {total} {self.step} not run: {budget}")
        return "; ".join(parts) or None

    def fallback_summary(self) -> str | None:
        """One line on what came from the offline path instead of the LLM, and why; ``None`` when nothing did.

        >>> LLMOutcome(step="need names", outputs=9, fallbacks={"wrong language": 1, "privacy threshold": 1}).fallback_summary()
        'need names: 2 of 9 from the offline path (1 privacy threshold, 1 wrong language)'
        """
        if not self.fallbacks:
            return None
        return f"{self.step}: {sum(self.fallbacks.values())} of {self.outputs} from the offline path ({_by_reason(self.fallbacks)})"

    def claims_summary(self) -> str | None:
        """One line on the model's claims: how many were kept, and why the others were dropped.

        >>> LLMOutcome(step="persona drafts", claims=20, claims_kept=17, claims_dropped={"wrong source": 2, "no citation": 1}).claims_summary()
        'persona drafts: 17 of 20 claims kept; dropped: 2 wrong source, 1 no citation'
        """
        if not self.claims:
            return None
        dropped = f"; dropped: {_by_reason(self.claims_dropped)}" if self.claims_dropped else ""
        return f"{self.step}: {self.claims_kept} of {self.claims} claims kept{dropped}"

    @classmethod
    def merge(cls, step: str, outcomes: Iterable["LLMOutcome | None"]) -> "LLMOutcome":
        """The sum of several outcomes of one kind (e.g. the messages of every feature)."""
        out = cls(step=step)
        for o in outcomes:
            if o is None:
                continue
            out.calls += o.calls
            out.succeeded += o.succeeded
            out.not_run += o.not_run
            out.withheld += o.withheld
            out.outputs += o.outputs
            out.claims += o.claims
            out.claims_kept += o.claims_kept
            for mine, theirs in ((out.failed, o.failed), (out.fallbacks, o.fallbacks), (out.claims_dropped, o.claims_dropped)):
                for why, n in theirs.items():
                    mine[why] = mine.get(why, 0) + n
        return out


def _by_reason(counts: dict[str, int]) -> str:
    """``"2 wrong source, 1 no citation"``: most frequent first, then by name."""
    return ", ".join(f"{n} {why}" for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
