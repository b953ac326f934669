"""Writing tables for people: CSV/XLSX that spreadsheet apps cannot turn into formulas.

A feedback text such as ``=HYPERLINK("http://evil","click")`` is kept verbatim in
memory and in JSON, but a cell starting with ``= + - @`` (or tab/CR) is prefixed
with a single quote when written to CSV/XLSX, so Excel shows it as text (OWASP's
CSV-injection advice).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["escape_formula", "write_csv", "write_xlsx"]

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
            out[col] = out[col].map(escape_formula)
    out.columns = [escape_formula(str(c)) for c in out.columns]
    return out


def write_csv(df: "pd.DataFrame", path: str | Path) -> Path:
    """Write UTF-8 with BOM (so Excel opens Chinese text correctly), formulas escaped."""
    path = Path(path)
    _escaped(df).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def write_xlsx(df: "pd.DataFrame", path: str | Path) -> Path:
    path = Path(path)
    _escaped(df).to_excel(path, index=False)
    return path
