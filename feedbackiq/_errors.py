"""One error tree for everything feedbackiq raises on purpose.

Catch ``FeedbackIQError`` to catch them all; catch a subclass to handle one
kind of failure. Where a built-in exception fits naturally, the subclass also
inherits it, so ``except ValueError`` keeps working for callers who do not know
about feedbackiq::

    FeedbackIQError
    ├── InputError (ValueError)               bad input the user can fix
    │   ├── IngestError                       a file cannot be read as feedback
    │   │   ├── UnreadableFileError           the file exists but may not be read (permissions, I/O)
    │   │   ├── UnsupportedFormatError        extension / content not a known format
    │   │   ├── EncodingError                 bytes undecodable in any supported encoding
    │   │   ├── EmptyFileError                no header or no rows
    │   │   └── ColumnError (KeyError)        a column is missing or ambiguous
    │   ├── EmptyInputError                   nothing left to work on (e.g. 0 items)
    │   └── ConfigError                       a config/card/features file is invalid
    │       └── CardError                     a KPI card file: names the card, field and line
    ├── MissingDependencyError (ImportError)  an optional extra is not installed
    ├── EmbeddingError                        an embedding backend failed
    ├── LLMError                              anything from the LLM layer
    │   ├── LLMNotConfiguredError             no model/endpoint configured
    │   ├── LLMCallError                      transport/API failure after retries
    │   ├── LLMOutputError (ValueError)       reply failed validation after retries
    │   ├── BudgetExceededError               the call/token cap was reached
    │   └── LLMAllFailedError                 every LLM call of a run failed (exit status 3)
    └── CheckpointError                       a run directory is inconsistent
        └── RunDirBusyError                   another process is running in the run directory

Errors about a file name the file, and where known the row (1-based, as a
spreadsheet shows it) and the column, both as attributes and in the message.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FeedbackIQError",
    "InputError",
    "IngestError",
    "UnreadableFileError",
    "UnsupportedFormatError",
    "EncodingError",
    "EmptyFileError",
    "ColumnError",
    "EmptyInputError",
    "ConfigError",
    "CardError",
    "MissingDependencyError",
    "EmbeddingError",
    "LLMError",
    "LLMNotConfiguredError",
    "LLMCallError",
    "LLMOutputError",
    "BudgetExceededError",
    "LLMAllFailedError",
    "CheckpointError",
    "RunDirBusyError",
]


class FeedbackIQError(Exception):
    """Base class of every error feedbackiq raises on purpose.

    ``exit_status`` is what the command line exits with when it stops on this error.
    """

    exit_status = 2


class InputError(FeedbackIQError, ValueError):
    """Input the user can fix: a file, a parameter, a config."""


class IngestError(InputError):
    """A file cannot be read as feedback.

    Parameters
    ----------
    message : str
        What went wrong, in words a user can act on.
    file : str, optional
        The file's path.
    row : int, optional
        1-based row number as a spreadsheet shows it (header is row 1).
    column : str, optional
        The column's header.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class UnreadableFileError(IngestError):
    """The file exists but cannot be read: no permission, or the disk failed reading it."""


class UnsupportedFormatError(IngestError):
    """The file's extension or content is not a supported format."""


class EncodingError(IngestError):
    """The file's bytes decode in none of the supported encodings."""


class EmptyFileError(IngestError):
    """The file has no header or no data rows."""


class ColumnError(IngestError, KeyError):
    """A required column is missing, or more than one column could be it."""


class EmptyInputError(InputError):
    """Nothing left to work on, e.g. a feedback set with no items."""


class ConfigError(InputError):
    """A configuration, card or features file is invalid.

    Parameters
    ----------
    message : str
        What is wrong.
    source : str, optional
        File (and card) the error is in.
    field : str, optional
        Dotted path of the offending field.
    """

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None) -> None:
        self.source = source
        self.field = field
        where = ", ".join(x for x in (source, f"field {field!r}" if field else None) if x)
        super().__init__(f"{where}: {message}" if where else message)


class CardError(ConfigError):
    """A KPI card file (or a card checked against the data) is invalid.

    Parameters
    ----------
    message : str
        What is wrong.
    file : str, optional
        The card file.
    line : int, optional
        1-based line in the file.
    card : str, optional
        The card, as ``card 2 ('Launch 3.2.0')``.
    field : str, optional
        Dotted path of the field within the card, e.g. ``targets.0.metric``.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, card: str | None = None,
                 field: str | None = None) -> None:
        self.file, self.line, self.card = file, line, card
        where = ", ".join(x for x in (file and (f"{file} line {line}" if line else file), card) if x)
        super().__init__(message, source=where or None, field=field)


class MissingDependencyError(FeedbackIQError, ImportError):
    """An optional dependency is missing; the message carries the install command."""

    def __init__(self, package: str, extra: str | None = None, purpose: str = "") -> None:
        cmd = f"pip install 'feedbackiq[{extra}]'" if extra else f"pip install {package}"
        what = f" for {purpose}" if purpose else ""
        super().__init__(f"{package} is required{what}; install it with: {cmd}", name=package)


class EmbeddingError(FeedbackIQError):
    """An embedding backend failed (model missing, endpoint error, bad shape)."""


class LLMError(FeedbackIQError):
    """Base class of errors from the LLM layer."""


class LLMNotConfiguredError(LLMError):
    """No LLM model/endpoint is configured."""


class LLMCallError(LLMError):
    """The endpoint failed after all transport retries, or rejected the request.

    Attributes
    ----------
    reason : str
        Short and countable, e.g. ``"HTTP 500 after retries"``, ``"HTTP 400 rejected"``.
    final : bool
        Whether this is the request's own outcome, stored in the reply cache like a reply (a rejection,
        retries used up on 429/5xx/timeouts/malformed replies), or a matter of configuration or reach
        (a wrong key, model or URL, no connection) that says nothing about the request and is not stored.
    """

    def __init__(self, message: str, *, reason: str = "call failed", final: bool = True) -> None:
        self.reason = reason
        self.final = final
        super().__init__(message)


class LLMOutputError(LLMError, ValueError):
    """The model's reply failed validation after the allowed retries.

    Attributes
    ----------
    last_reply : str
        The raw text of the last reply.
    attempts : int
        How many replies were tried.
    usage : dict
        Token usage summed over the attempts.
    """

    def __init__(self, message: str, *, last_reply: str = "", attempts: int = 0, usage: dict[str, Any] | None = None) -> None:
        self.last_reply = last_reply
        self.attempts = attempts
        self.usage = usage or {}
        super().__init__(message)


class BudgetExceededError(LLMError):
    """The call or token cap was reached; results obtained so far are kept."""


class LLMAllFailedError(LLMError):
    """Every LLM call of a run failed: its outputs were written without anything an LLM writes.

    Attributes
    ----------
    result : Any
        What the run produced (a ``RunResult``), so a caller can still use it.
    """

    exit_status = 3

    def __init__(self, message: str, *, result: Any = None) -> None:
        self.result = result
        super().__init__(message)


class CheckpointError(FeedbackIQError):
    """A run directory's checkpoints are inconsistent or unreadable."""


class RunDirBusyError(CheckpointError):
    """Another process holds the run directory's lock (two runs into one folder would both pay for every LLM call).

    Attributes
    ----------
    run_dir : str
    pid : int or None
        The process holding it, when it wrote its id.
    """

    def __init__(self, run_dir: str, pid: int | None) -> None:
        self.run_dir, self.pid = run_dir, pid
        holder = f"pid {pid}" if pid is not None else "another process"
        super().__init__(f"{run_dir} is in use by another feedbackiq run ({holder}); wait for it to finish "
                         "or write to another --out")
