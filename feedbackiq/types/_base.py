"""Shared base model and enums."""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Language", "SkipReason", "SourceKind"]


Language = Literal["zh", "en", "other"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


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
