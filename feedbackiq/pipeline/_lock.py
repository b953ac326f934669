"""One process at a time in a run folder: an exclusive lock on ``RUN_DIR/.lock`` for the life of the run.

Two runs into one folder would both pay for every LLM call (neither finds the other's replies in the
cache until they are stored) and overwrite each other's checkpoints and outputs. The lock is an
``fcntl.flock``: the kernel releases it when the holder exits, also when it is killed, so a crashed run
never leaves a stale lock. The file keeps the holder's process id, for the message the second run prints.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedbackiq._errors import RunDirBusyError

__all__ = ["run_dir_lock"]


@contextmanager
def run_dir_lock(run_dir: str | os.PathLike[str], *, create: bool = True) -> Iterator[Path | None]:
    """Hold ``run_dir``'s lock or raise :class:`RunDirBusyError` at once, naming the holder.

    The folder is created, unless ``create`` is False: then a missing folder is not locked (``None``),
    and the caller's own "not found" error says what is wrong.
    """
    directory = Path(run_dir)
    if not create and not directory.is_dir():
        yield None
        return
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirBusyError(str(directory), _holder(fd)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)   # no pid of a finished run left to mislead anyone
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> int | None:
    try:
        return int(os.pread(fd, 32, 0).decode().strip())
    except (ValueError, OSError):   # the holder has not written its id yet
        return None
