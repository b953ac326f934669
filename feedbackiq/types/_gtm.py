"""Personas and features in each segment's words."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from feedbackiq.types._base import _Model, _Result
from feedbackiq.types._llm import LLMOutcome
from feedbackiq.types._themes import Citation, Quote

__all__ = ["Claim", "Feature", "FeatureTranslation", "Persona", "PersonaNeed", "PersonaSet", "SegmentMessage"]


class PersonaNeed(_Model):
    """A need (``ThemeReport.needs``, never praise) as voiced by one persona: its share there vs overall
    (lift > 1 is distinctive)."""

    need_id: int
    need_name: str
    respondents: int
    share: float          # of the persona's respondents who voice this need
    overall_share: float  # of all respondents
    lift: float


class Claim(_Model):
    """A drafted statement and the feedback it rests on."""

    text: str
    citations: list[Citation] = Field(default_factory=list)
    # A short translation of ``text`` into the document's language, written by an LLM (shown marked as one).
    gloss: str | None = None


class Persona(_Model):
    """A persona card. Every number is computed from the data; nothing here is generated text
    except ``label``/``summary`` when ``source == "llm"``."""

    id: int
    label: str
    summary: str
    segment: dict[str, str] = Field(default_factory=dict)       # the defining segment value(s), if any
    facts: dict[str, dict[str, int]] = Field(default_factory=dict)  # other segment columns: value -> respondents
    respondents: int = 0
    items: int = 0
    deal_value: float | None = None
    deals_lost_value: float | None = None
    top_needs: list[PersonaNeed] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    preferred_words: list[str] = Field(default_factory=list)
    confidence: Literal["low", "medium", "high"] = "low"
    source: Literal["extractive", "llm"] = "extractive"
    # Drafted by the LLM (evidence-locked): each claim cites item ids of this persona.
    pains: list[Claim] = Field(default_factory=list)
    goals: list[Claim] = Field(default_factory=list)
    objections: list[Claim] = Field(default_factory=list)      # evidence: sales notes
    buying_triggers: list[Claim] = Field(default_factory=list)  # evidence: sales notes
    claims_dropped: int = 0
    dropped: dict[str, int] = Field(default_factory=dict)   # the dropped claims by reason (no citation, wrong source ...)
    supported_share: float | None = None  # kept claims / claims the LLM made
    note: str | None = None               # why the card stayed extractive (LLM call failed, no supported claim ...)


class PersonaSet(_Result):
    """Personas drafted from one ThemeReport.

    ``note`` says why this mode was chosen (``by="auto"``). Data-driven personas chosen that way keep
    the personas by segment beside them in ``segment_personas``: messages and launch-readiness targets
    are per segment (:meth:`by_segment`).
    """

    _view_package: ClassVar[str] = "feedbackiq.gtm"

    mode: Literal["segment", "data_driven"]
    by: str | None = None
    personas: list[Persona] = Field(default_factory=list)
    input_hash: str = ""
    llm_outcome: LLMOutcome | None = None  # how the persona-drafting calls ended (None: no LLM)
    note: str | None = None
    segment_personas: list[Persona] = Field(default_factory=list)

    def by_segment(self) -> "PersonaSet":
        """The personas by segment: this set, or the segment personas drafted beside data-driven ones."""
        if self.mode == "segment" or not self.segment_personas:
            return self
        column = next(iter(self.segment_personas[0].segment), None)
        return PersonaSet(mode="segment", by=column, personas=self.segment_personas, input_hash=self.input_hash)


class Feature(_Model):
    """A product feature as engineering describes it (from a features YAML/CSV file)."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    # What it does for the customer, in one sentence (the offline message template's value proposition).
    benefit: str | None = None
    needs: list[int] = Field(default_factory=list)   # need ids it answers
    themes: list[int] = Field(default_factory=list)  # theme ids it answers (each stands for its need)
    # With neither, the feature is matched to needs by meaning.


class SegmentMessage(_Model):
    """One feature said in one segment's own words, with its evidence."""

    persona: str
    segment: dict[str, str] = Field(default_factory=dict)
    relevant_needs: list[int] = Field(default_factory=list)    # the feature's needs this segment voices, most voiced first
    relevant_themes: list[int] = Field(default_factory=list)   # their themes this segment voices (the evidence)
    words_they_use: list[str] = Field(default_factory=list)    # distinctive in this segment's feedback (log-odds)
    jargon_to_avoid: list[str] = Field(default_factory=list)   # description words this segment never uses
    headline: str | None = None
    value_proposition: str | None = None
    # The segment's top pain phrase for this feature: a clause of its own feedback on the feature's needs.
    pain: Claim | None = None
    proof_points: list[Claim] = Field(default_factory=list)
    objection_handling: list[Claim] = Field(default_factory=list)
    customer_word_share: float | None = None   # message content words found in the segment's own feedback
    technical_word_share: float | None = None  # ... found in the feature's technical description
    claims_dropped: int = 0
    dropped: dict[str, int] = Field(default_factory=dict)   # the dropped claims by reason
    # "template": headline and value proposition filled in offline from ``pain`` and the feature's benefit
    source: Literal["extractive", "template", "llm"] = "extractive"
    note: str | None = None               # why no LLM message: "no evidence in this segment", a failed call ...


class FeatureTranslation(_Model):
    feature: Feature
    messages: list[SegmentMessage] = Field(default_factory=list)
    llm_outcome: LLMOutcome | None = None  # how the message-writing calls ended (None: no LLM)
