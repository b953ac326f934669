"""Features files: YAML or CSV with name, description and (optionally) the need or theme ids each answers."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml
from pydantic import ValidationError

from feedbackiq._errors import ConfigError
from feedbackiq.types import Feature

__all__ = ["load_features"]


def load_features(path: str | Path) -> list[Feature]:
    """Read features; errors name the file, the feature (by position and name) and the field.

    YAML: a list of mappings, or ``{"features": [...]}``. CSV: columns ``name``, ``description``
    and optional ``needs`` and ``themes`` (ids separated by ``;``; a theme stands for its need).
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError("features file not found", source=str(p))
    if p.suffix.lower() == ".csv":
        with p.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            raw = [_ids(dict(r), p, reader.line_num) for r in reader]
    else:
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"invalid YAML: {exc}", source=str(p)) from None
        raw = data.get("features") if isinstance(data, dict) else data
        if not isinstance(raw, list):
            raise ConfigError("expected a list of features (or a 'features:' list)", source=str(p))
    out = []
    for i, r in enumerate(raw, start=1):
        label = f"{p} feature {i}" + (f" ({r.get('name')!r})" if isinstance(r, dict) and r.get("name") else "")
        try:
            out.append(Feature.model_validate(r))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise ConfigError(err["msg"], source=label, field=".".join(str(x) for x in err["loc"])) from None
    if not out:
        raise ConfigError("no features in the file", source=str(p))
    return out


def _ids(row: dict, path: Path, line: int) -> dict:
    """A CSV row with its ``needs`` and ``themes`` cells ("3;4") as lists of ids."""
    for key in ("needs", "themes"):
        cell = row.get(key) or ""
        try:
            row[key] = [int(x) for x in cell.replace(",", ";").split(";") if x.strip()]
        except ValueError:
            raise ConfigError(f"expected ids separated by ';', got {cell!r}", source=f"{path} row {line}",
                              field=key) from None
    return row
