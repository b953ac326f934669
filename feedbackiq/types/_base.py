"""Shared base model and enums."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["Language", "SkipReason", "SourceKind"]


Language = Literal["zh", "en", "other"]
M = TypeVar("M", bound="_Model")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


# The Markdown view of each result type, registered by the package that makes the result (types imports
# no renderer: it is the layer below them all).
_MARKDOWN_VIEWS: dict[type, Callable[..., str]] = {}


def markdown_view(cls: type) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register the decorated function as ``cls.to_markdown``'s renderer."""
    def register(render: Callable[..., str]) -> Callable[..., str]:
        _MARKDOWN_VIEWS[cls] = render
        return render
    return register


class _Result(_Model):
    """A step's result: JSON out with :meth:`to_json`, back in with :meth:`from_json`, in the layout its
    ``write_*`` function writes (and its ``load_*`` function reads); Markdown with :meth:`to_markdown`."""

    _json_indent: ClassVar[int | None] = 1   # as the result's JSON file is written
    _view_package: ClassVar[str]             # the package that renders it (loaded on first use)

    def to_markdown(self, **options: Any) -> str:
        """The result as Markdown, as its ``write_*`` function writes it (``options``: the renderer's)."""
        if type(self) not in _MARKDOWN_VIEWS:
            importlib.import_module(self._view_package)   # the renderer registers itself on import
        return _MARKDOWN_VIEWS[type(self)](self, **options)

    def to_json(self, path: str | Path | None = None) -> str | None:
        """The result as JSON text; with ``path``, written there (UTF-8) and ``None`` returned.

        Written as bytes straight from pydantic-core: a large result's text plus its encoded copy
        would hold it twice.
        """
        if path is None:
            return self.model_dump_json(indent=self._json_indent)
        Path(path).write_bytes(type(self).__pydantic_serializer__.to_json(self, indent=self._json_indent))
        return None

    @classmethod
    def from_json(cls: type[M], text_or_path: str | Path) -> M:
        """The result from JSON text, or from the JSON file at a path."""
        if is_json_text(text_or_path):
            return cls.model_validate_json(str(text_or_path))
        return cls.model_validate_json(Path(text_or_path).read_bytes())


def is_json_text(text_or_path: str | Path) -> bool:
    """Whether ``from_json``'s argument is JSON text (an object) rather than a path."""
    return isinstance(text_or_path, str) and text_or_path.lstrip().startswith("{")


_set_attr = object.__setattr__


def construct_trusted(cls: type[M], fields_set: set[str], values: dict[str, Any]) -> M:
    """``cls.model_construct(fields_set, **values)`` for values that are already valid and complete.

    What ``model_construct`` does for our models (``extra="forbid"``, no private attributes, no
    ``model_post_init``), without its per-call loop over the fields, which counts at a million rows
    (evals/README.md, "Measurements behind the code"). ``values`` must hold
    every field, in field order; ``fields_set`` is shared between instances (pydantic only reads
    it, and every name is already in it). ``tests/test_types.py`` checks that it builds
    the same object as ``model_construct`` for each model it is used with.
    """
    obj = cls.__new__(cls)
    _set_attr(obj, "__dict__", values)
    _set_attr(obj, "__pydantic_fields_set__", fields_set)
    _set_attr(obj, "__pydantic_extra__", None)
    _set_attr(obj, "__pydantic_private__", None)
    return obj


class SourceKind(str, enum.Enum):
    """Where a piece of feedback came from."""

    SURVEY = "survey"
    REVIEW = "review"
    SALES_NOTE = "sales_note"
    SUPPORT_TICKET = "support_ticket"
    OTHER = "other"


class SkipReason(str, enum.Enum):
    """Why an input row (or survey cell) produced no item."""

    EMPTY = "empty"                      # blank text
    NON_ANSWER = "non_answer"            # "n/a", "none", "无", "不知道" ...
    DUPLICATE = "duplicate"              # same respondent/source and same text as another row
    HEADER_ROW = "header_row"            # extra header rows of survey exports (question text, ImportId)
    UNPARSEABLE = "unparseable"          # a required value could not be parsed (see detail)
    NO_TEXT_COLUMN = "no_text_column"    # the row has no text in any text column
    FILTERED = "filtered"                # excluded by a user filter
