"""A hard cap on LLM calls, tokens and cost, checked before every call."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from feedbackiq._errors import BudgetExceededError

__all__ = ["Budget"]


@dataclass
class Budget:
    """Limits for one run; ``None`` means no limit.

    Calls already made are kept when the cap is reached: the call that would
    exceed it raises :class:`BudgetExceededError` before anything is sent.

    Examples
    --------
    >>> b = Budget(max_calls=10, cost_per_1k_input=0.15, cost_per_1k_output=0.6)
    >>> b.estimate(n_calls=8, input_tokens_per_call=1200, output_tokens_per_call=200)["cost"]
    2.4
    """

    max_calls: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    cost_per_1k_input: float | None = None
    cost_per_1k_output: float | None = None
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def cost(self) -> float:
        return ((self.input_tokens / 1000) * (self.cost_per_1k_input or 0.0)
                + (self.output_tokens / 1000) * (self.cost_per_1k_output or 0.0))

    def estimate(self, n_calls: int, input_tokens_per_call: int, output_tokens_per_call: int = 300) -> dict[str, float]:
        """Calls, tokens and cost a run of ``n_calls`` would take, and whether it fits."""
        tin, tout = n_calls * input_tokens_per_call, n_calls * output_tokens_per_call
        cost = round((tin / 1000) * (self.cost_per_1k_input or 0) + (tout / 1000) * (self.cost_per_1k_output or 0), 6)
        fits = ((self.max_calls is None or self.calls + n_calls <= self.max_calls)
                and (self.max_tokens is None or self.input_tokens + self.output_tokens + tin + tout <= self.max_tokens)
                and (self.max_cost is None or self.cost + cost <= self.max_cost))
        return {"calls": n_calls, "input_tokens": tin, "output_tokens": tout, "cost": cost, "fits": fits}

    def reserve(self) -> None:
        """Claim one call, or raise if the cap is already reached."""
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetExceededError(f"call budget reached ({self.calls}/{self.max_calls} calls); results so far are kept")
            if self.max_tokens is not None and self.input_tokens + self.output_tokens >= self.max_tokens:
                raise BudgetExceededError(f"token budget reached ({self.input_tokens + self.output_tokens}/{self.max_tokens})")
            if self.max_cost is not None and self.cost >= self.max_cost:
                raise BudgetExceededError(f"cost budget reached ({self.cost:.4f}/{self.max_cost})")
            self.calls += 1

    def record(self, input_tokens: int, output_tokens: int) -> None:
        with self._lock:
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
