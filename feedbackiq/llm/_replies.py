"""Reply schemas for claims: what a model is asked to write, read leniently, capped in length.

A schema does three jobs for a slow local model (a server that enforces it in its grammar, as
llama.cpp's ``llama-server`` does, makes each of them a hard limit):

- **Caps.** How many claims, refs and quotes a reply holds (``maxItems``: :func:`at_most`; claims past a
  cap are not read: :func:`capped`) and how long a quote is. Texts carry no ``maxLength``: a grammar
  would cut them mid-sentence; they are trimmed at a sentence end by the judge.
- **Order.** A model writes a JSON object in its schema's order (required properties first). A
  :class:`GroundedClaim` puts the handle first, then the words copied from that item, then the claim:
  a small model copies what a customer said before it writes about it, instead of writing about the
  product and inventing a quote to fit. Where the evidence mixes languages, the model goes on in the
  language of the quote it copied: there a :class:`ClaimReply` (text first) is asked for.
- **Handles.** :func:`citing_only` lets a claim's ``refs`` name only given handles (objection handling:
  the sales notes), so a grammar-following model cannot cite a survey answer for it. The judge checks
  the same rule for servers that do not follow the schema.

Replies are read leniently (:func:`lenient_claim`): a missing ``refs`` is judged (no citation), not a
reason to reject the whole reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

__all__ = ["GroundedClaim", "CitedReply", "at_most", "capped", "lenient_claim", "citing_only",
           "ClaimReply", "part_model", "in_schema_order", "QUOTE_MAX_CHARS", "REFS_PER_CLAIM",
           "REFS_PER_GROUNDED_CLAIM"]

QUOTE_MAX_CHARS = 80     # a quote as the reply schema allows it: long enough to align, short to write
REFS_PER_CLAIM = 2       # items a text-first claim cites (each with an optional quote)
# Items a grounded claim cites: one, by its copied words. A second ref and quote cost a slow model a fifth of a
# reply's tokens, and the judge keeps a claim on one citation that holds anyway.
REFS_PER_GROUNDED_CLAIM = 1
_DIGITS = re.compile(r"\d+")


def lenient_claim(data: Any) -> Any:
    """A claim as models write it: ``refs`` may be missing (judged: no citation, not a reason to reject
    the reply), one number, or a string of them (``"[3], [7]"``); ``quotes`` one string.

    >>> lenient_claim({"text": "Slow support", "refs": "[3], [7]", "quotes": "takes days"})
    {'text': 'Slow support', 'refs': [3, 7], 'quotes': ['takes days']}
    """
    if isinstance(data, str):
        return {"text": data, "refs": []}
    if not isinstance(data, dict):
        return data
    data = dict(data)
    refs = data.get("refs")
    if refs is None:
        refs = []
    elif isinstance(refs, str):
        refs = [int(x) for x in _DIGITS.findall(refs)]
    elif not isinstance(refs, list):
        refs = [refs]
    quotes = data.get("quotes")
    data["refs"], data["quotes"] = refs, [quotes] if isinstance(quotes, str) else (quotes or [])
    return data


class CitedReply(BaseModel):
    """A reply (or a part of one) that rests on evidence: subclasses declare ``refs`` (the handles it rests
    on, required) and ``quotes`` (a quote per handle, optional) after their own fields, read leniently."""

    @model_validator(mode="before")
    @classmethod
    def _models_write(cls, data: Any) -> Any:
        return lenient_claim(data)


def at_most(n: int, default: Any = ()) -> Any:
    """A list field whose schema asks for at most ``n`` entries (validation does not enforce it: read the
    first ``n``)."""
    return Field(list(default), json_schema_extra={"maxItems": n})


def capped(reply: BaseModel, field: str) -> list[Any]:
    """The entries of a list field up to the cap its schema states (:func:`at_most`); none when the reply
    model has no such field."""
    info = type(reply).model_fields.get(field)
    if info is None:
        return []
    extra = info.json_schema_extra
    return list(getattr(reply, field))[:extra.get("maxItems") if isinstance(extra, dict) else None]


def in_schema_order(schema: dict[str, Any]) -> None:
    """Every property required, in the order declared: the order a schema-following model writes them
    (defaults stay defaults when a reply is read)."""
    schema["required"] = list(schema.get("properties", {}))


def _quotes(low: int, high: int) -> Any:
    """The schema of a claim's ``quotes``: ``low`` (0: none needed) to ``high`` short strings."""
    def schema(s: dict[str, Any]) -> None:
        s.update(({"minItems": low} if low else {}), maxItems=high,
                 items={"type": "string", "maxLength": QUOTE_MAX_CHARS})
    return schema


class ClaimReply(CitedReply):
    """One claim, text first: ``{"text": ..., "refs": [3, 7], "quotes": ["...", null]}`` (quotes optional)."""

    text: str
    refs: list[int | str] = Field(json_schema_extra={"maxItems": REFS_PER_CLAIM})
    quotes: list[str | None] = Field([], json_schema_extra=_quotes(0, REFS_PER_CLAIM))


class GroundedClaim(CitedReply):
    """One claim written after its evidence: ``{"refs": [3], "quotes": ["copied words"], "text": ...}``, each
    part required in that order (one ref, one quote)."""

    model_config = ConfigDict(json_schema_extra=in_schema_order)

    refs: list[int | str] = Field(json_schema_extra={"minItems": REFS_PER_GROUNDED_CLAIM,
                                                     "maxItems": REFS_PER_GROUNDED_CLAIM})
    quotes: list[str | None] = Field([], json_schema_extra=_quotes(REFS_PER_GROUNDED_CLAIM, REFS_PER_GROUNDED_CLAIM))
    text: str


_MODELS: dict[tuple[Any, ...], type[BaseModel]] = {}


def citing_only(claim_model: type[BaseModel], handles: Sequence[int], name: str | None = None) -> type[BaseModel]:
    """``claim_model`` (named ``name``) whose schema lets ``refs`` name only ``handles`` (read as leniently as
    before: the judge drops a claim citing another).

    >>> schema = citing_only(GroundedClaim, [5, 6]).model_json_schema()
    >>> schema["properties"]["refs"]["items"], schema["required"]
    ({'enum': [5, 6], 'type': 'integer'}, ['refs', 'quotes', 'text'])
    """
    key = (claim_model, "refs", tuple(handles), name)
    if key not in _MODELS:
        caps = claim_model.model_fields["refs"].json_schema_extra   # the model's own bounds on refs, kept
        refs = Field(json_schema_extra={**(caps if isinstance(caps, dict) else {}),
                                        "items": {"type": "integer", "enum": list(handles)}})
        _MODELS[key] = create_model(name or claim_model.__name__, __base__=claim_model, refs=(list[int | str], refs))
    return _MODELS[key]


def part_model(reply_model: type[BaseModel], parts: tuple[str, ...]) -> type[BaseModel]:
    """``reply_model`` cut to ``parts`` (each required): the schema of a retry that asks for those parts only."""
    key = (reply_model, "parts", parts)
    if key not in _MODELS:
        fields = {f: (info.annotation, Field(json_schema_extra=info.json_schema_extra))
                  for f in parts for info in [reply_model.model_fields[f]]}
        _MODELS[key] = create_model(f"{reply_model.__name__}Parts", **fields)
    return _MODELS[key]
