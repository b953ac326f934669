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
            reasons = ", ".join(f"{n} {why}" for why, n in sorted(self.failed.items(), key=lambda kv: (-kv[1], kv[0])))
            parts.append(f"{self.n_failed()} of {total} {self.step} failed: {reasons}")
        if self.not_run:
            budget = "LLM budget reached"
            parts.append(f"{self.not_run} not run: {budget}" if parts else f"{self.not_run} of {total} {self.step} not run: {budget}")
        return "; ".join(parts) or None

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
            for why, n in o.failed.items():
                out.failed[why] = out.failed.get(why, 0) + n
        return out
