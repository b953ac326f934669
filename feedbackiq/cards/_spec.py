"""Card files: YAML or JSON, validated by pydantic, with errors that name the card, the field and the line.

pydantic checks the structure (types, unknown fields, dates); :func:`feedbackiq.types.card_problems`
checks the meaning (a metric the card kind has, a share between 0 and 1, one of min/max). Either
way the error is reworded to say which card (index and name), which field, and on which line of the
file it is: the YAML node marks from ``yaml.compose`` map a field path to its line (JSON is read the
same way, being YAML).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from feedbackiq._errors import CardError
from feedbackiq.types import Card, CardSet, card_problems

__all__ = ["load_cards", "line_of", "line_at"]


class _Loader(yaml.SafeLoader):
    """Dates stay text for pydantic to parse: PyYAML would raise a bare ValueError on 2026-13-01."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def load_cards(path: str | Path) -> CardSet:
    """Read a card file.

    Parameters
    ----------
    path : str or Path
        YAML or JSON with a top-level ``cards:`` list (or just the list) and optional ``as_of: YYYY-MM-DD``.

    Returns
    -------
    CardSet

    Raises
    ------
    CardError
        Syntax errors (with the line), and any invalid card: the message names the card (1-based
        index and name), the field path and the line.

    Examples
    --------
    >>> cards = load_cards("datasets/cards.yaml")
    >>> [c.kind for c in cards.cards][:3]
    ['demand_validation', 'launch_cadence', 'revenue_bet']
    """
    p = Path(path)
    if not p.exists():
        raise CardError("card file not found", file=str(p))
    text = p.read_text(encoding="utf-8-sig")
    data = _parse(text, p)
    root = _compose(text)
    if isinstance(data, list):
        data = {"cards": data}
        root = yaml.MappingNode("tag:yaml.org,2002:map", [(yaml.ScalarNode("tag:yaml.org,2002:str", "cards"), root)],
                                start_mark=root.start_mark) if root is not None else None
    if not isinstance(data, dict) or not isinstance(data.get("cards"), list) or not data["cards"]:
        raise CardError("expected a top-level 'cards:' list with at least one card", file=str(p))
    unknown = sorted(set(data) - {"cards", "as_of"})
    if unknown:
        raise CardError(f"unknown top-level key(s) {', '.join(map(repr, unknown))}; expected 'cards' and optional 'as_of'",
                        file=str(p), line=line_of(root, (unknown[0],)))
    cards = []
    for i, raw in enumerate(data["cards"]):
        label = _card_label(i, raw)
        try:
            card = Card.model_validate(raw, context={"defer_checks": True})
        except ValidationError as exc:
            # a misspelt field explains the "missing" one next to it: report the typo
            e = min(exc.errors(), key=lambda x: x["type"] != "extra_forbidden")
            loc = tuple(e["loc"])
            line, depth = _walk(root, ("cards", i, *loc))
            if root is not None and e["type"] != "missing":  # drop pydantic's union-member tags ('date', 'str')
                loc = loc[: max(depth - 2, 0)]
            raise CardError(_reword(e), file=str(p), line=line, card=label, field=".".join(map(str, loc)) or None) from None
        for loc, msg in card_problems(card)[:1]:
            raise CardError(msg, file=str(p), line=line_of(root, ("cards", i, *loc)), card=label, field=".".join(map(str, loc)))
        cards.append(card)
    try:
        as_of = CardSet.model_validate({"as_of": data.get("as_of")}).as_of
    except ValidationError as exc:
        raise CardError(_reword(exc.errors()[0]), file=str(p), line=line_of(root, ("as_of",)), field="as_of") from None
    return CardSet(cards=cards, as_of=as_of, source=str(p))


def _parse(text: str, p: Path) -> Any:
    if p.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CardError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=str(p), line=exc.lineno) from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise CardError(f"invalid YAML: {problem}", file=str(p), line=mark.line + 1 if mark else None) from None


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:  # JSON that YAML 1.1 cannot read: errors just carry no line
        return None


def line_of(node: yaml.Node | None, loc: tuple) -> int | None:
    """1-based line of the deepest node on ``loc`` (a path of mapping keys and list indices).

    A missing field points at its parent (the card or target that lacks it).
    """
    return _walk(node, loc)[0]


def line_at(source: str | None, card_index: int, loc: tuple) -> int | None:
    """Line of a field of card ``card_index`` in the card file ``source`` (None when unknown)."""
    if not source or not Path(source).exists():
        return None
    root = _compose(Path(source).read_text(encoding="utf-8-sig"))
    if root is not None and isinstance(root, yaml.SequenceNode):
        return line_of(root, (card_index, *loc))
    return line_of(root, ("cards", card_index, *loc))


def _walk(node: yaml.Node | None, loc: tuple) -> tuple[int | None, int]:
    """(line, how many parts of ``loc`` exist in the file)."""
    line = node.start_mark.line + 1 if node is not None else None
    depth = 0
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == str(part):
                    nxt, line = v, k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt = node.value[part]
            line = nxt.start_mark.line + 1
        if nxt is None:
            break
        node, depth = nxt, depth + 1
    return line, depth


def _card_label(i: int, raw: Any) -> str:
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"card {i + 1}" + (f" ({name!r})" if name else "")


def _reword(e: dict) -> str:
    """pydantic's message in the card file's terms."""
    kind, value = e["type"], e.get("input")
    if kind in ("date_from_datetime_parsing", "date_parsing", "date_type", "date_from_datetime_inexact"):
        return f"expected a date as YYYY-MM-DD, got {value!r}"
    if kind == "extra_forbidden":
        import difflib

        from feedbackiq.types import Card, CardTarget, CardWindow

        known = {*Card.model_fields, *CardTarget.model_fields, *CardWindow.model_fields}
        close = difflib.get_close_matches(str(e["loc"][-1]), sorted(known), n=1)
        return f"unknown field {e['loc'][-1]!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind == "missing":
        return f"missing required field {e['loc'][-1]!r}"
    if kind == "literal_error" and e["loc"] and e["loc"][-1] == "kind":
        return f"unknown card kind {value!r}; use demand_validation (需求验证卡), launch_cadence (上市节奏卡) or revenue_bet (收入对赌卡)"
    return f"{e['msg']} (got {value!r})" if not isinstance(value, (dict, list)) else e["msg"]
