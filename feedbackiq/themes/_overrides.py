"""A team's fixes to the need tree (split, move, merge, rename), kept in a file and applied on every run.

The grouping is found from the data, and a team may know better: that "shipping costs" and "nobody
sees the order flow" are one need for them, or that a theme sits under the wrong need. They write it
down once::

    # needs.yaml
    merge:
      - needs: [{item: "crm_notes:N-0042"}, {name: "Shipping costs are eating my margin"}]
        name: Supply-chain visibility
    move:
      - theme: {item: "app_reviews:gp:x1"}     # the theme holding this item
        to: {id: 3}                            # joins need 3 of this run
    split:
      - theme: {id: 17}
        name: Dark mode
    rename:
      - need: {item: "survey_export:R_1:Q5"}
        name: Battery life
        kind: need                             # or praise

A need or theme is named by an item it holds (``item``: item ids are stable across reruns of the same
exports), by this run's ``id``, or by its current ``name``. An entry whose item, id or name is not in
the run is skipped and said so in ``ThemeReport.override_notes``: a rerun on new exports does not fail
on a stale entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from pydantic import ValidationError

from feedbackiq._errors import ConfigError
from feedbackiq.types import GroupRef, Need, NeedOverrides, Theme

__all__ = ["load_need_overrides", "Regrouping", "regroup"]


def load_need_overrides(path: str | Path) -> NeedOverrides:
    """Read a need override file (YAML or JSON).

    Raises
    ------
    ConfigError
        The file is missing or invalid; the message names the file, the entry and the line.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError("need override file not found", source=str(p))
    text = p.read_text(encoding="utf-8-sig")
    try:
        data = yaml.safe_load(text) or {}
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}" + (f" (line {mark.line + 1})" if mark else ""),
                          source=str(p)) from None
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with split / move / merge / rename lists", source=str(p))
    try:
        return NeedOverrides.model_validate({**data, "source": str(p)})
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = tuple(e["loc"])
        where = ".".join(map(str, loc))
        line = _line(root, loc)
        raise ConfigError(f"{where}: {e['msg']}" + (f" (line {line})" if line else ""), source=str(p)) from None


def _line(node: yaml.Node | None, loc: tuple) -> int | None:
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        if nxt is None:
            break
        node, line = nxt, nxt.start_mark.line + 1
    return line


@dataclass
class Regrouping:
    """The need of each theme after the overrides (in the first build's need ids, new needs after
    them), the names and kinds the team gave, the themes its entries placed (split, moved, or in a need
    it merged or renamed: an LLM regrouping leaves them where they are), and what happened to each entry."""

    need_of_theme: np.ndarray
    names: dict[int, str] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fixed: set[int] = field(default_factory=set)


def regroup(overrides: NeedOverrides, themes: list[Theme], groups: list[Need], theme_of_item: dict[str, int]) -> Regrouping:
    """Apply ``overrides`` to a first build: ``themes`` with their ``need_id``, every need and non-need
    group in ``groups``, and each item's theme (``-1`` in "other")."""
    need_of_theme = np.full(max((t.id for t in themes), default=-1) + 1, -1)
    for t in themes:
        need_of_theme[t.id] = t.need_id if t.need_id is not None else -1
    out = Regrouping(need_of_theme)
    next_id = max((g.id for g in groups), default=-1) + 1
    for i, s in enumerate(overrides.split):
        theme = _theme(s.theme, themes, theme_of_item, out.notes, f"split {i + 1}")
        if theme is not None:
            out.need_of_theme[theme] = next_id
            out.fixed.add(theme)
            if s.name:
                out.names[next_id] = s.name
            out.notes.append(f"split {i + 1}: theme {theme} is a need of its own")
            next_id += 1
    for i, m in enumerate(overrides.move):
        theme = _theme(m.theme, themes, theme_of_item, out.notes, f"move {i + 1}")
        target = _need(m.to, groups, out, theme_of_item, f"move {i + 1}")
        if theme is not None and target is not None:
            out.need_of_theme[theme] = target
            out.fixed.add(theme)
            out.notes.append(f"move {i + 1}: theme {theme} moved to need {target}")
    for i, m in enumerate(overrides.merge):
        found = [n for ref in m.needs if (n := _need(ref, groups, out, theme_of_item, f"merge {i + 1}")) is not None]
        found = list(dict.fromkeys(found))
        if len(found) >= 2:
            out.need_of_theme[np.isin(out.need_of_theme, found)] = found[0]
            out.notes.append(f"merge {i + 1}: needs {', '.join(map(str, found))} are one need")
        elif found:
            out.notes.append(f"merge {i + 1}: its needs are already one need")
        if found and m.name:
            out.names[found[0]] = m.name
        if found:
            out.fixed.update(np.flatnonzero(out.need_of_theme == found[0]).tolist())
    for i, r in enumerate(overrides.rename):
        target = _need(r.need, groups, out, theme_of_item, f"rename {i + 1}")
        if target is None:
            continue
        if r.name:
            out.names[target] = r.name
        if r.kind:
            out.kinds[target] = r.kind
        out.fixed.update(np.flatnonzero(out.need_of_theme == target).tolist())
        out.notes.append(f"rename {i + 1}: need {target}" + (f" named {r.name!r}" if r.name else "")
                         + (f" marked {r.kind}" if r.kind else ""))
    return out


def _theme(ref: GroupRef, themes: list[Theme], theme_of_item: dict[str, int], notes: list[str], what: str) -> int | None:
    if ref.item is not None:
        theme = theme_of_item.get(ref.item)
        if theme is None or theme < 0:
            notes.append(f"{what}: skipped, item {ref.item!r} is " + ("not in this run" if theme is None else "in no theme"))
            return None
        return theme
    match = [t.id for t in themes if (t.id == ref.id if ref.id is not None else t.name == ref.name)]
    if not match:
        notes.append(f"{what}: skipped, no theme with " + (f"id {ref.id}" if ref.id is not None else f"name {ref.name!r}"))
        return None
    return match[0]


def _need(ref: GroupRef, groups: list[Need], out: Regrouping, theme_of_item: dict[str, int], what: str) -> int | None:
    """The need a reference means, after the splits and moves made so far."""
    if ref.item is not None:
        theme = theme_of_item.get(ref.item)
        if theme is None or theme < 0:
            out.notes.append(f"{what}: skipped, item {ref.item!r} is " + ("not in this run" if theme is None else "in no need"))
            return None
        return int(out.need_of_theme[theme])
    match = [g.id for g in groups if (g.id == ref.id if ref.id is not None else g.name == ref.name)]
    if not match:
        out.notes.append(f"{what}: skipped, no need with " + (f"id {ref.id}" if ref.id is not None else f"name {ref.name!r}"))
        return None
    return match[0]
