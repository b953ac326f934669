"""CSV and XLSX outputs: cells Excel would run as formulas are written as text."""


def test_escaped_columns_equal_escaping_every_cell(tmp_path):
    """The vectorised escape writes what mapping escape_formula over every cell wrote."""
    from datetime import datetime

    import pandas as pd

    from feedbackiq._tabular_out import _escaped, escape_formula

    df = pd.DataFrame({
        "text": ["=HYPERLINK(\"x\")", "fine", None, "+1 more", "-", "@me", "\tindent", "plain"],
        "mixed": ["=1+1", 3, None, 2.5, "ok", {"a": 1}, "-x", float("nan")],
        "ints_as_objects": pd.Series([1, 2, 3, 4, 5, 6, 7, 8], dtype=object),
        "dates": pd.Series([datetime(2026, 1, 1)] * 8, dtype=object),
        "none": [None] * 8,
        "=header": ["a"] * 8,
        "number": range(8),
    })
    slow = df.copy()
    for col in slow.columns:
        if slow[col].dtype == object or str(slow[col].dtype).startswith("str"):   # pandas 3: text is "str"
            slow[col] = slow[col].map(escape_formula)
    slow.columns = [escape_formula(c) for c in slow.columns]
    fast = _escaped(df)
    assert fast.to_csv(index=False) == slow.to_csv(index=False)
    assert [fast["text"][i] for i in (0, 1, 3)] == ["'=HYPERLINK(\"x\")", "fine", "'+1 more"]
    assert df["text"][0] == "=HYPERLINK(\"x\")"    # the caller's frame is not changed
