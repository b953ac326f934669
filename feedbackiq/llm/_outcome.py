"""Counting how a step's LLM calls ended, by reason, for the console, the report and the exit status."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from typing import Any

from feedbackiq._errors import BudgetExceededError, LLMAllFailedError, LLMCallError, LLMError, LLMNotConfiguredError
from feedbackiq.types import LLMOutcome

__all__ = ["failure_reason", "tally", "check_all_failed"]


def failure_reason(exc: BaseException) -> str:
    """A short, countable reason: ``"HTTP 500 after retries"``, ``"invalid output"``, ...

    >>> failure_reason(ValueError("no JSON object in the reply"))
    'invalid output'
    """
    if isinstance(exc, LLMCallError):
        return exc.reason
    if isinstance(exc, LLMNotConfiguredError):
        return "no LLM configured"
    if isinstance(exc, ValueError):  # LLMOutputError, and a reply that did not parse after salvage
        return "invalid output"
    return type(exc).__name__


def tally(step: str, succeeded: int, failures: Sequence[tuple[int, BaseException]], *, withheld: int = 0) -> LLMOutcome:
    """The outcome of one step from what :meth:`LLM.map` returned.

    Parameters
    ----------
    step : str
        What one call makes, in the plural: "theme names", "persona drafts" ...
    succeeded : int
        Calls that gave a usable result.
    failures : list of (index, exception)
        A budget stop counts as not run; any other LLM error or invalid reply as failed, by reason.
    withheld : int
        Jobs the privacy threshold kept from being sent.
    """
    not_run = sum(1 for _, exc in failures if isinstance(exc, BudgetExceededError))
    reasons = Counter(failure_reason(exc) for _, exc in failures
                      if not isinstance(exc, BudgetExceededError) and isinstance(exc, (LLMError, ValueError)))
    return LLMOutcome(step=step, calls=succeeded + sum(reasons.values()), succeeded=succeeded, failed=dict(reasons),
                      not_run=not_run, withheld=withheld)


def check_all_failed(outcomes: Sequence[LLMOutcome | None], where: Any, *, best_effort: bool = False,
                     result: Any = None) -> None:
    """Raise :class:`LLMAllFailedError` when calls were made and every one of them failed, unless ``best_effort``.

    ``where`` names the folder the outputs went to; ``result`` rides on the error for callers that want it.
    """
    found = [o for o in outcomes if o is not None]
    if best_effort or not LLMOutcome.merge("LLM calls", found).all_failed():
        return
    why = "; ".join(s for o in found if (s := o.summary()))
    raise LLMAllFailedError(
        f"every LLM call failed ({why}); the outputs in {where} have no LLM-written text. Accept that with "
        "--best-effort (best_effort=True), or send the failed calls again with --retry-failed (failed calls are "
        "stored: a plain rerun does not pay for them again)", result=result)
