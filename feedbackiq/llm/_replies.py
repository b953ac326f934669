"""Reply schemas for claims: what a model is asked to write, read leniently, capped in length.

A schema does three jobs for a slow local model (a server that enforces it in its grammar, as
llama.cpp's ``llama-server`` does, makes each of them a hard limit):

- **Caps.** How many claims, refs and quotes a reply holds (``maxItems``: :func:`at_most`; claims past a
  cap are not read: :func:`capped`) and how long a quote is. Texts carry no ``maxLength``: a grammar
  would cut them mid-sentence; they are trimmed at a sentence end by the judge.
- **Order.** A model writes a JSON object in its schema's order (required properties first). A
  :class:`GroundedClaim` puts the handle first, then the words copied from that item, then the claim:
  a small model copies what a customer said before it writes about it, instead of writing about the
  product and inventing a quote to fit (written text first, a claim cited an item about something else).
- **Handles.** :func:`citing_only` lets a claim's ``refs`` name only given handles (objection handling:
  the sales notes), so a grammar-following model cannot cite a survey answer for it. The judge checks
  the same rule for servers that do not follow the schema.
- **Language.** :func:`claims_in` writes each claim's text under a key that names the output language
  (``"text_in_english"``): a model that has just copied a quote in another language reads, in its next
  tokens, which language to write (without it, a small model that copied a Chinese quote went on in
  Chinese). A reply that says plain ``text`` is read all the same.

Replies are read leniently (:func:`lenient_claim`): a missing ``refs`` is judged (no citation), not a
reason to reject the whole reply.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from copy import copy
from typing import Any, get_args, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, create_model, model_validator

__all__ = ["GroundedClaim", "CitedReply", "at_most", "capped", "lenient_claim", "citing_only", "part_model",
           "text_in", "claims_in", "in_schema_order", "QUOTE_MAX_CHARS", "REFS_PER_CLAIM"]

QUOTE_MAX_CHARS = 80     # a quote as the reply schema allows it: long enough to align, short to write
# Items a claim cites: one, by its copied words. A second ref and quote cost a slow model a fifth of a reply's
# tokens, and the judge keeps a claim on one citation that holds anyway.
REFS_PER_CLAIM = 1
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


class GroundedClaim(CitedReply):
    """One claim written after its evidence: ``{"refs": [3], "quotes": ["copied words"], "text": ...}``, each
    part required in that order (one ref, one quote)."""

    model_config = ConfigDict(json_schema_extra=in_schema_order)

    refs: list[int | str] = Field(json_schema_extra={"minItems": REFS_PER_CLAIM, "maxItems": REFS_PER_CLAIM})
    quotes: list[str | None] = Field([], json_schema_extra={"minItems": REFS_PER_CLAIM, "maxItems": REFS_PER_CLAIM,
                                                            "items": {"type": "string", "maxLength": QUOTE_MAX_CHARS}})
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


def text_in(claim_model: type[BaseModel], language: str) -> type[BaseModel]:
    """``claim_model`` whose ``text`` is written under a key naming the output language (``en`` or ``zh``): a
    model that has just copied a quote in another language reads, in its next tokens, which language to write.
    A reply that says ``text`` is read all the same.

    >>> claim = text_in(GroundedClaim, "zh")
    >>> list(claim.model_json_schema()["properties"]), claim.model_validate({"text": "慢", "refs": [1]}).text
    (['refs', 'quotes', 'text_in_chinese'], '慢')
    >>> claim(text_in_chinese="慢", refs=[1], quotes=["太慢"]).model_dump(by_alias=True)
    {'refs': [1], 'quotes': ['太慢'], 'text_in_chinese': '慢'}
    """
    key = (claim_model, "text_in", language)
    if key not in _MODELS:
        name = "text_in_chinese" if language == "zh" else "text_in_english"
        text = Field(validation_alias=AliasChoices(name, "text"), serialization_alias=name)
        _MODELS[key] = create_model(claim_model.__name__, __base__=claim_model, text=(str, text))
    return _MODELS[key]


def claims_in(reply_model: type[BaseModel], language: str) -> type[BaseModel]:
    """``reply_model`` whose claims (fields holding a :class:`CitedReply`, or a list of them) write their text
    under a key naming the output language (:func:`text_in`).

    >>> class Draft(BaseModel):
    ...     label: str
    ...     pains: list[GroundedClaim] = at_most(2)
    >>> schema = claims_in(Draft, "en").model_json_schema()
    >>> schema["$defs"]["GroundedClaim"]["required"], schema["properties"]["pains"]["maxItems"]
    (['refs', 'quotes', 'text_in_english'], 2)
    """
    key = (reply_model, "claims_in", language)
    if key not in _MODELS:
        fields: dict[str, Any] = {}
        for name, info in reply_model.model_fields.items():
            many = get_origin(info.annotation) is list
            claim = get_args(info.annotation)[0] if many else info.annotation
            if isinstance(claim, type) and issubclass(claim, CitedReply):
                written = text_in(claim, language)
                fields[name] = (list[written] if many else written, copy(info))
        _MODELS[key] = create_model(reply_model.__name__, __base__=reply_model, **fields)
    return _MODELS[key]


def part_model(reply_model: type[BaseModel], parts: tuple[str, ...]) -> type[BaseModel]:
    """``reply_model`` cut to ``parts`` (each required): the schema of a retry that asks for those parts only."""
    key = (reply_model, "parts", parts)
    if key not in _MODELS:
        fields = {f: (info.annotation, Field(json_schema_extra=info.json_schema_extra))
                  for f in parts for info in [reply_model.model_fields[f]]}
        _MODELS[key] = create_model(f"{reply_model.__name__}Parts", **fields)
    return _MODELS[key]
