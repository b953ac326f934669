"""How a run reports progress: a rich display for people, JSON lines for schedulers, or nothing.

Every observer gets the same events: a stage starts (with a total when one is
known), advances, and ends as ``done``, ``reused`` (from a checkpoint) or
``skipped`` (with the reason, e.g. no LLM configured).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

__all__ = ["Observer", "QuietObserver", "JsonLogObserver", "RichObserver", "make_observer"]


class Observer:
    """The interface; the base class ignores everything (used by ``quiet`` mode)."""

    def stage_start(self, stage: str, total: int | None = None, detail: str = "") -> None: ...

    def advance(self, stage: str, n: int = 1) -> None: ...

    def stage_end(self, stage: str, status: str, seconds: float, detail: str = "") -> None: ...

    def message(self, text: str) -> None: ...

    def close(self) -> None: ...


class QuietObserver(Observer):
    """Prints nothing; errors still raise and the run's result still says where the report is."""


class JsonLogObserver(Observer):
    """One JSON object per line on ``stream`` (stderr by default): easy to grep in a scheduler's log."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._done: dict[str, int] = {}

    def _emit(self, **event: Any) -> None:
        event = {"ts": round(time.time(), 3), **event}
        self.stream.write(json.dumps(event, ensure_ascii=False) + "\n")
        self.stream.flush()

    def stage_start(self, stage: str, total: int | None = None, detail: str = "") -> None:
        self._done[stage] = 0
        self._emit(event="stage_start", stage=stage, total=total, detail=detail)

    def advance(self, stage: str, n: int = 1) -> None:
        self._done[stage] = self._done.get(stage, 0) + n  # counted, not logged per step: logs stay short

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


class PlainObserver(Observer):
    """One line per stage end on stderr: for logs that are read by people but are not a terminal."""

    def stage_end(self, stage: str, status: str, seconds: float, detail: str = "") -> None:
        print(f"{stage}: {status} in {seconds:.1f}s {detail}".rstrip(), file=sys.stderr, flush=True)

    def message(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)
