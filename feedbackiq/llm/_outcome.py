"""A step's LLM calls: mapped with unexpected failures raised, and counted by how they ended (for the console,
the report and the exit status)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from feedbackiq._errors import BudgetExceededError, LLMAllFailedError, LLMCallError, LLMError, LLMNotConfiguredError
from feedbackiq.types import LLMOutcome

if TYPE_CHECKING:
    from feedbackiq.llm._client import LLM

__all__ = ["EXPECTED_FAILURES", "map_calls", "fallback_reason", "failure_reason", "tally", "check_all_failed"]

T = TypeVar("T")
# What a step falls back on (its offline output) and counts: an LLM error (a failed call, a budget stop, no
# LLM configured) or an invalid reply (a ValueError: a failed check, a reply that did not parse).
EXPECTED_FAILURES: tuple[type[Exception], ...] = (LLMError, ValueError)


def map_calls(llm: LLM, fn: Callable[[Any], T], inputs: Sequence[Any]) -> tuple[list[T | None], list[tuple[int, Exception]]]:
    """:meth:`LLM.map` of ``fn`` over ``inputs``, with any unexpected failure raised.

    Returns the results in input order (``None`` where a call failed) and the failures, by input index,
    every one of them an :data:`EXPECTED_FAILURES` for the step to fall back on and count with :func:`tally`.
    Any other exception is a bug, not an LLM's failure: the first (by input order) is raised, after every
    call has ended.
    """
    results, failures = llm.map(fn, inputs)
    for _, exc in failures:
        if not isinstance(exc, EXPECTED_FAILURES):
            raise exc
    return results, failures


def fallback_reason(exc: BaseException) -> str:
    """Why an output came from the offline path after its call failed with ``exc``: ``"LLM budget reached"``
    or ``"call failed: <reason>"``.

    >>> fallback_reason(BudgetExceededError("cap")), fallback_reason(ValueError("no JSON object in the reply"))
    ('LLM budget reached', 'call failed: invalid output')
    """
    if isinstance(exc, BudgetExceededError):
        return "LLM budget reached"
    return f"call failed: {failure_reason(exc)}"


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
                      if not isinstance(exc, BudgetExceededError) and isinstance(exc, EXPECTED_FAILURES))
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
