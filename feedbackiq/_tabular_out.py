"""Writing tables for people: CSV/XLSX that spreadsheet apps cannot turn into formulas.

A feedback text such as ``=HYPERLINK("http://evil","click")`` is kept verbatim in
memory and in JSON, but a cell starting with ``= + - @`` (or tab/CR) is prefixed
with a single quote when written to CSV/XLSX, so Excel shows it as text (OWASP's
CSV-injection advice).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["escape_formula", "write_csv", "write_csv_blocks", "datetime_format", "write_xlsx"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Prefix a quote to strings a spreadsheet would evaluate.

    >>> escape_formula('=HYPERLINK("x")'), escape_formula("fine"), escape_formula(-3)
    ('\\'=HYPERLINK("x")', 'fine', -3)
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def _escaped(df: "pd.DataFrame") -> "pd.DataFrame":
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype).startswith("str"):
            out[col] = _escaped_column(out[col])
    out.columns = [escape_formula(str(c)) for c in out.columns]
    return out


def _escaped_column(values: "pd.Series") -> "pd.Series":
    """``values.map(escape_formula)``, with pandas' string methods finding the few cells to change:
    a 1M-row items table is 19 text columns, and a Python call per cell was seconds of every write."""
    try:
        starts = values.str.startswith(_TRIGGERS, na=False).to_numpy(dtype=bool)
    except (AttributeError, TypeError):   # no text in the column (.str refuses it), or bytes
        return values.map(escape_formula)
    if not starts.any():
        return values
    values = values.copy()
    values[starts] = "'" + values[starts].astype(str)
    return values


def write_csv(df: "pd.DataFrame", path: str | Path) -> Path:
    """Write UTF-8 with BOM (so Excel opens Chinese text correctly), formulas escaped."""
    path = Path(path)
    _escaped(df).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_csv_blocks(frames: Iterable["pd.DataFrame"], path: str | Path, date_format: str | None = None) -> Path:
    """:func:`write_csv` of the frames one after another (same columns; the header once): a million
    rows are written a block at a time instead of escaped and encoded as one table.

    Pandas picks the format of a datetime column from the values of the frame at hand (dates only
    when all are at midnight), so blocks of one column could differ: pass ``date_format``, e.g.
    from :func:`datetime_format` of the whole column.
    """
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:   # the BOM once, at the start
        for i, df in enumerate(frames):
            _escaped(df).to_csv(fh, index=False, header=i == 0, date_format=date_format)
    return path


def datetime_format(values: Iterable[Any]) -> str:
    """The format pandas gives a whole column of these datetimes (``None`` skipped): dates alone when
    every one is at midnight, else seconds, with microseconds when any has them.

    >>> from datetime import datetime
    >>> datetime_format([datetime(2026, 3, 5), None]), datetime_format([datetime(2026, 3, 5, 9, 30)])
    ('%Y-%m-%d', '%Y-%m-%d %H:%M:%S')
    """
    midnight, micro = True, False
    for v in values:
        if v is None:
            continue
        midnight = midnight and not (v.hour or v.minute or v.second or v.microsecond)
        micro = micro or bool(v.microsecond)
    return "%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S.%f" if micro else "%Y-%m-%d %H:%M:%S"


def write_xlsx(df: "pd.DataFrame", path: str | Path) -> Path:
    path = Path(path)
    _escaped(df).to_excel(path, index=False)
    return path
