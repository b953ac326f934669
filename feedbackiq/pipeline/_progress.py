"""How a run reports progress: a rich display for people, JSON lines for schedulers, or nothing.

Every observer gets the same events: a stage starts (with a total when one is
known), learns of more work (an LLM stage adds its calls as it queues them),
advances, and ends as ``done``, ``reused`` (from a checkpoint) or ``skipped``
(with the reason, e.g. no LLM configured). Observers without a bar (``plain``,
``json``) say how far a long stage is, with an ETA, at most every
``every`` seconds: a local model's LLM stages take many minutes.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

__all__ = ["Observer", "QuietObserver", "JsonLogObserver", "RichObserver", "PlainObserver", "make_observer", "eta_text"]


def eta_text(seconds: float) -> str:
    """``42s``, ``3m05s``, ``1h12m``.

    >>> eta_text(42.4), eta_text(185), eta_text(4320)
    ('42s', '3m05s', '1h12m')
    """
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class Observer:
    """The interface; the base class ignores everything (used by ``quiet`` mode)."""

    def stage_start(self, stage: str, total: int | None = None, detail: str = "") -> None: ...

    def add_total(self, stage: str, n: int) -> None:
        """``n`` more units of work in ``stage`` (LLM calls queued), beyond the total it started with."""

    def advance(self, stage: str, n: int = 1) -> None: ...

    def stage_end(self, stage: str, status: str, seconds: float, detail: str = "") -> None: ...

    def message(self, text: str) -> None: ...

    def close(self) -> None: ...


class QuietObserver(Observer):
    """Prints nothing; errors still raise and the run's result still says where the report is."""


class _Counting(Observer):
    """Counts done / total per stage and reports progress with an ETA at most every ``every`` seconds."""

    unit = {"embed": "texts"}

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self._done: dict[str, int] = {}
        self._total: dict[str, int | None] = {}
        self._t0: dict[str, float] = {}
        self._shown: dict[str, float] = {}

    def stage_start(self, stage: str, total: int | None = None, detail: str = "") -> None:
        self._done[stage], self._total[stage] = 0, total
        self._t0[stage] = self._shown[stage] = time.monotonic()

    def add_total(self, stage: str, n: int) -> None:
        self._total[stage] = (self._total.get(stage) or 0) + n

    def advance(self, stage: str, n: int = 1) -> None:
        self._done[stage] = self._done.get(stage, 0) + n
        now = time.monotonic()
        if now - self._shown.get(stage, now) >= self.every:
            self._shown[stage] = now
            self.progress(stage, *self.status(stage, now))

    def status(self, stage: str, now: float) -> tuple[int, int | None, float, float | None]:
        """(done, total, elapsed seconds, eta seconds or None)."""
        done, total = self._done.get(stage, 0), self._total.get(stage)
        elapsed = now - self._t0.get(stage, now)
        eta = elapsed / done * (total - done) if total and done else None
        return done, total, elapsed, eta

    def progress(self, stage: str, done: int, total: int | None, elapsed: float, eta: float | None) -> None: ...


class JsonLogObserver(_Counting):
    """One JSON object per line on ``stream`` (stderr by default): easy to grep in a scheduler's log."""

    def __init__(self, stream: TextIO | None = None, every: float = 30.0) -> None:
        super().__init__(every)
        self.stream = stream or sys.stderr

    def _emit(self, **event: Any) -> None:
        event = {"ts": round(time.time(), 3), **event}
        self.stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        self.stream.flush()

    def stage_start(self, stage: str, total: int | None = None, detail: str = "") -> None:
        super().stage_start(stage, total, detail)
        self._emit(event="stage_start", stage=stage, total=total, detail=detail)

    def progress(self, stage: str, done: int, total: int | None, elapsed: float, eta: float | None) -> None:
        self._emit(event="progress", stage=stage, done=done, total=total, seconds=round(elapsed, 1),
                   eta_seconds=None if eta is None else round(eta, 1))

    def stage_end(self, stage: str, status: str, seconds: float, detail: str = "") -> None:
        self._emit(event="stage_end", stage=stage, status=status, seconds=round(seconds, 3),
                   done=self._done.get(stage, 0), detail=detail)

    def message(self, text: str) -> None:
        self._emit(event="message", text=text)


class RichObserver(Observer):
    """A progress bar per stage with counts, elapsed time and ETA (rich)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, \
            TimeRemainingColumn

        self.console = Console(stderr=True)
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<34}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                                 console=self.console, transient=False)
        self.progress.start()
        self._tasks: dict[str, Any] = {}

    def stage_start(self, stage: str, total: int | None = None, detail: str = "") -> None:
        self._tasks[stage] = self.progress.add_task(f"{stage} {detail}".strip(), total=total)

    def add_total(self, stage: str, n: int) -> None:
        if stage in self._tasks:
            task = self._tasks[stage]
            self.progress.update(task, total=(self.progress.tasks[task].total or 0) + n)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self._tasks:
            self.progress.advance(self._tasks[stage], n)

    def stage_end(self, stage: str, status: str, seconds: float, detail: str = "") -> None:
        task = self._tasks.get(stage)
        if task is None:
            return
        mark = {"done": "[green]done[/]", "reused": "[cyan]reused[/]", "skipped": "[yellow]skipped[/]"}.get(status, status)
        total = self.progress.tasks[task].total
        self.progress.update(task, total=total or 1, completed=total or 1,
                             description=f"{stage} {mark} {detail}".strip()[:90])

    def message(self, text: str) -> None:
        self.progress.console.print(text, highlight=False, soft_wrap=True)

    def close(self) -> None:
        self.progress.stop()


def make_observer(mode: str) -> Observer:
    """``rich`` (default on a terminal), ``plain`` (one line per stage), ``json`` or ``quiet``."""
    if mode == "quiet":
        return QuietObserver()
    if mode == "json":
        return JsonLogObserver()
    if mode == "plain":
        return PlainObserver()
    return RichObserver()


class PlainObserver(_Counting):
    """One line per stage end on stderr, and for a long stage a line on how far it is (at most every
    ``every`` seconds): for logs that are read by people but are not a terminal."""

    def progress(self, stage: str, done: int, total: int | None, elapsed: float, eta: float | None) -> None:
        unit = self.unit.get(stage, "LLM calls")
        of = f"{done}/{total}" if total else f"{done}"
        left = f", eta {eta_text(eta)}" if eta is not None else ""
        print(f"{stage}: {of} {unit} in {eta_text(elapsed)}{left}", file=sys.stderr, flush=True)

    def stage_end(self, stage: str, status: str, seconds: float, detail: str = "") -> None:
        print(f"{stage}: {status} in {seconds:.1f}s {detail}".rstrip(), file=sys.stderr, flush=True)

    def message(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)
