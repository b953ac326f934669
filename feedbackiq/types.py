"""The data model: every pipeline step takes and returns models from this module.

``ingest -> embed -> cluster -> describe/label -> personas & messaging -> cards -> report``

Only data and light accessors live here; the work is done by the step modules.
Models are pydantic v2, strict about unknown fields (a typo in a field name is an
error, not silently ignored), and JSON round-trip exactly.
"""

from __future__ import annotations

import enum
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

if TYPE_CHECKING:  # pandas is a dependency, but importing it costs ~0.3 s
    import pandas as pd

__all__ = [
    "Language",
    "SourceKind",
    "SkipReason",
    "Origin",
    "FeedbackItem",
    "LedgerEntry",
    "FileRecord",
    "Ledger",
    "FeedbackSet",
    "Assignment",
    "Quote",
    "Citation",
    "Theme",
    "ThemeReport",
    "PersonaNeed",
    "Claim",
    "Persona",
    "PersonaSet",
    "Feature",
    "SegmentMessage",
    "FeatureTranslation",
    "StageRecord",
    "InputFile",
    "RunManifest",
    "CARD_METRICS",
    "SHARE_METRICS",
    "CardWindow",
    "CardMatch",
    "CardPhase",
    "CardTarget",
    "Card",
    "CardSet",
    "MatchedTheme",
    "TargetResult",
    "PhaseStatus",
    "CardResult",
    "UnownedTheme",
    "CardScores",
]

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


class Origin(_Model):
    """Where an item was read from: file, 1-based row (header is row 1) and column."""

    file: str
    row: int
    column: str | None = None


class FeedbackItem(_Model):
    """One piece of customer feedback, normalised across survey, review and CRM exports.

    ``id`` is stable across reruns over the same file: it derives from the export's own
    response/row id where one exists, otherwise from file name, row and column.
    ``respondent_id`` is the voice the item counts towards for demand: a survey
    respondent, a reviewer, or the account of a sales note.
    """

    id: str
    text: str
    source: SourceKind
    question: str | None = None
    respondent_id: str | None = None
    segments: dict[str, str] = Field(default_factory=dict)
    created_at: datetime | None = None
    rating: float | None = None
    language: Language = "other"
    deal_value: float | None = None
    deal_stage: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    origin: Origin | None = None


class LedgerEntry(_Model):
    """What happened to one input row (or one survey cell when ``column`` is set)."""

    file: str
    row: int
    column: str | None = None
    outcome: Literal["item", "skipped"]
    item_id: str | None = None
    reason: SkipReason | None = None
    detail: str | None = None


class FileRecord(_Model):
    """One input file: how it was read and how many data rows it had."""

    path: str
    sha256: str
    format: str
    encoding: str | None = None
    layout: str
    source: SourceKind
    rows: int
    columns: dict[str, str] = Field(default_factory=dict)  # role -> header actually used


class Ledger(_Model):
    """Accounts for every input row: used (as one or more items) or skipped with a reason.

    For each file, ``rows_used + rows_skipped == rows`` holds exactly; a row is used
    when at least one of its cells became an item.
    """

    files: list[FileRecord] = Field(default_factory=list)
    entries: list[LedgerEntry] = Field(default_factory=list)

    def row_counts(self) -> dict[str, dict[str, int]]:
        """Per file: ``rows``, ``rows_used``, ``rows_skipped`` and ``items``."""
        out: dict[str, dict[str, int]] = {}
        for rec in self.files:
            used: set[int] = set()
            seen: set[int] = set()
            items = 0
            for e in self.entries:
                if e.file != rec.path:
                    continue
                seen.add(e.row)
                if e.outcome == "item":
                    used.add(e.row)
                    items += 1
            out[rec.path] = {
                "rows": rec.rows,
                "rows_used": len(used),
                "rows_skipped": len(seen - used),
                "rows_unaccounted": rec.rows - len(seen),
                "items": items,
            }
        return out

    def skip_reasons(self) -> Counter[str]:
        """Count of skipped entries by reason."""
        return Counter(e.reason.value for e in self.entries if e.outcome == "skipped" and e.reason)

    def to_pandas(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame([e.model_dump(mode="json") for e in self.entries])


class FeedbackSet(_Model):
    """Items plus the ingest ledger that accounts for every input row."""

    items: list[FeedbackItem] = Field(default_factory=list)
    ledger: Ledger = Field(default_factory=Ledger)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[override]  # iterate items, not pydantic fields
        return iter(self.items)

    def __getitem__(self, i: int) -> FeedbackItem:
        return self.items[i]

    def by_id(self) -> dict[str, FeedbackItem]:
        return {it.id: it for it in self.items}

    def segment_columns(self) -> list[str]:
        cols: dict[str, None] = {}
        for it in self.items:
            cols.update(dict.fromkeys(it.segments))
        return list(cols)

    def to_pandas(self) -> "pd.DataFrame":
        """One row per item; segments become ``segment:<name>`` columns."""
        import pandas as pd

        rows = []
        for it in self.items:
            d = it.model_dump(mode="python", exclude={"segments", "metadata", "origin"})
            d["source"] = it.source.value
            for k, v in it.segments.items():
                d[f"segment:{k}"] = v
            if it.origin:
                d["origin_file"], d["origin_row"], d["origin_column"] = it.origin.file, it.origin.row, it.origin.column
            rows.append(d)
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """A short human-readable account of the set and its ledger."""
        from feedbackiq._summary import feedback_set_summary

        return feedback_set_summary(self)


class Assignment(_Model):
    """One item's theme: ``theme_id`` is ``-1`` for the explicit "other" bucket."""

    item_id: str
    theme_id: int
    probability: float = Field(ge=0.0, le=1.0)
    subtheme_id: int | None = None


class Quote(_Model):
    """A verbatim quote with the item it came from."""

    item_id: str
    text: str
    source: SourceKind
    respondent_id: str | None = None


class Citation(_Model):
    """A claim's evidence: an item id and an exact substring of that item's (redacted) text."""

    item_id: str
    quote: str


class Theme(_Model):
    """A need theme: a cluster of feedback items with its description and evidence."""

    id: int
    name: str
    keywords: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    size: int = 0                         # items
    respondents: int = 0                  # distinct respondents/accounts
    respondent_share: float = 0.0         # of all distinct respondents in the set
    by_segment: dict[str, dict[str, int]] = Field(default_factory=dict)  # column -> value -> respondents
    by_source: dict[str, int] = Field(default_factory=dict)
    by_sentiment: dict[str, int] = Field(default_factory=dict)  # negative/neutral/positive
    by_period: dict[str, int] = Field(default_factory=dict)     # "2026-03" -> items
    by_language: dict[str, int] = Field(default_factory=dict)
    mean_rating: float | None = None
    deal_value: float | None = None       # sum over sales notes with amounts
    parent_id: int | None = None          # set on sub-themes
    subthemes: list["Theme"] = Field(default_factory=list)
    # Filled by the LLM step (issue 4); None until then.
    need_statement: str | None = None
    moscow: str | None = None
    moscow_rationale: str | None = None
    need_citations: list[Citation] = Field(default_factory=list)
    dropped_citations: int = 0            # citations the LLM gave that failed the check
    label_source: Literal["keywords", "llm"] = "keywords"
    label_note: str | None = None         # why a theme kept its keyword name (privacy threshold, failed check ...)


class ThemeReport(_Model):
    """The result of ``find_themes``: themes, per-item assignments and provenance."""

    themes: list[Theme] = Field(default_factory=list)
    other: Theme | None = None            # the explicit "other" bucket (theme id -1), if any items are in it
    assignments: list[Assignment] = Field(default_factory=list)
    n_items: int = 0
    n_respondents: int = 0
    parameters: dict[str, Any] = Field(default_factory=dict)
    model_ids: dict[str, str] = Field(default_factory=dict)
    input_hash: str = ""
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage: embed, cluster, describe
    llm_stats: dict[str, Any] = Field(default_factory=dict)  # naming: themes named/skipped, dropped citations, usage
    feedback: FeedbackSet | None = None

    def theme(self, theme_id: int) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(f"no theme with id {theme_id}")

    def to_pandas(self) -> "pd.DataFrame":
        """One row per theme (no sub-themes), sorted by respondents."""
        import pandas as pd

        rows = [
            {
                "theme_id": t.id,
                "name": t.name,
                "items": t.size,
                "respondents": t.respondents,
                "respondent_share": t.respondent_share,
                "mean_rating": t.mean_rating,
                "deal_value": t.deal_value,
                "keywords": ", ".join(t.keywords),
            }
            for t in self.themes
        ]
        return pd.DataFrame(rows)

    def assignments_to_pandas(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame([a.model_dump() for a in self.assignments])

    def to_json(self, path: str | Path | None = None) -> str:
        text = self.model_dump_json(indent=1)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "ThemeReport":
        p = Path(text_or_path) if not str(text_or_path).lstrip().startswith("{") else None
        text = p.read_text(encoding="utf-8") if p is not None else str(text_or_path)
        return cls.model_validate_json(text)


class PersonaNeed(_Model):
    """A need as voiced by one persona: its share there vs overall (lift > 1 is distinctive)."""

    theme_id: int
    theme_name: str
    respondents: int
    share: float          # of the persona's respondents who voice this theme
    overall_share: float  # of all respondents
    lift: float


class Claim(_Model):
    """A drafted statement and the feedback it rests on."""

    text: str
    citations: list[Citation] = Field(default_factory=list)


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
    supported_share: float | None = None  # kept claims / claims the LLM made


class PersonaSet(_Model):
    """Personas drafted from one ThemeReport."""

    mode: Literal["segment", "data_driven"]
    by: str | None = None
    personas: list[Persona] = Field(default_factory=list)
    input_hash: str = ""


class Feature(_Model):
    """A product feature as engineering describes it (from a features YAML/CSV file)."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    themes: list[int] = Field(default_factory=list)  # theme ids it answers; matched by meaning when empty


class SegmentMessage(_Model):
    """One feature said in one segment's own words, with its evidence."""

    persona: str
    segment: dict[str, str] = Field(default_factory=dict)
    relevant_themes: list[int] = Field(default_factory=list)   # the feature's themes, by this segment's share
    words_they_use: list[str] = Field(default_factory=list)    # distinctive in this segment's feedback (log-odds)
    jargon_to_avoid: list[str] = Field(default_factory=list)   # description words this segment never uses
    headline: str | None = None
    value_proposition: str | None = None
    proof_points: list[Claim] = Field(default_factory=list)
    objection_handling: list[Claim] = Field(default_factory=list)
    customer_word_share: float | None = None   # message content words found in the segment's own feedback
    technical_word_share: float | None = None  # ... found in the feature's technical description
    claims_dropped: int = 0
    source: Literal["extractive", "llm"] = "extractive"


class FeatureTranslation(_Model):
    feature: Feature
    messages: list[SegmentMessage] = Field(default_factory=list)


# --- batch runs (``feedbackiq run``) -------------------------------------------------------------


class StageRecord(_Model):
    """One stage of a run: what happened, how long it took, and the key its checkpoint is stored under."""

    stage: str
    status: Literal["done", "reused", "skipped"]
    key: str | None = None          # sha256 of upstream keys + parameters + model ids + prompt versions
    seconds: float = 0.0
    detail: str = ""                # e.g. why it was skipped, or counts


class InputFile(_Model):
    """One input file as the run saw it, with the ingest ledger's row counts."""

    path: str
    sha256: str
    bytes: int
    rows: int = 0
    rows_used: int = 0
    rows_skipped: int = 0
    items: int = 0


class RunManifest(_Model):
    """What a run was made from and what it cost: versions, parameters, inputs, LLM usage, timings."""

    feedbackiq_version: str
    python: str
    packages: dict[str, str] = Field(default_factory=dict)
    started_at: datetime
    finished_at: datetime | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    inputs: list[InputFile] = Field(default_factory=list)
    items: int = 0
    model_ids: dict[str, str] = Field(default_factory=dict)
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    llm: dict[str, Any] = Field(default_factory=dict)   # model, calls, cache_hits, tokens, cost
    stages: list[StageRecord] = Field(default_factory=list)
    outputs: dict[str, str] = Field(default_factory=dict)  # name -> path relative to the run folder
# --- KPI cards (issue 6): the team's targets, and how the evidence scores against them ---

CardKind = Literal["demand_validation", "launch_cadence", "revenue_bet"]
TargetStatus = Literal["pass", "fail", "unmatched", "ambiguous", "no_data"]
# The metrics each card kind may use (anything else is an error naming the card and field).
CARD_METRICS: dict[str, tuple[str, ...]] = {
    "demand_validation": ("respondent_share", "respondents", "accounts", "sources", "negative_rating_share"),
    "launch_cadence": ("mention_share", "personas_drafted", "messaging_translated", "proof_quotes"),
    "revenue_bet": ("pipeline_value", "won_value", "lost_deal_value", "deal_value", "accounts_affected", "churn_mentions"),
}
SHARE_METRICS = frozenset({"respondent_share", "negative_rating_share", "mention_share", "personas_drafted",
                           "messaging_translated"})  # targets must lie in [0, 1]
READINESS_METRICS = frozenset({"personas_drafted", "messaging_translated", "proof_quotes"})  # launch readiness
_KIND_ALIASES = {"需求验证卡": "demand_validation", "上市节奏卡": "launch_cadence", "收入对赌卡": "revenue_bet",
                 "demand": "demand_validation", "launch": "launch_cadence", "revenue": "revenue_bet"}
_MOSCOW_ALIASES = {"wont": "won't", "won\u2019t": "won't", "必须": "must", "应该": "should", "可以": "could", "不做": "won't"}
_SOURCE_ALIASES = {"sales": "sales_note", "sales_notes": "sales_note", "reviews": "review", "surveys": "survey",
                   "support": "support_ticket"}


def _segment_strings(v: Any) -> Any:
    """Segment values as the data hold them: text (YAML reads ``plan: 2024`` as a number)."""
    if not isinstance(v, dict):
        return v
    return {k: [str(x) for x in x_] if isinstance(x_, list) else str(x_) if isinstance(x_, (int, float)) else x_
            for k, x_ in v.items()}


# {column: value or [values]}; numbers become text, as the data hold them
SegmentFilter = Annotated[dict[str, str | list[str]], BeforeValidator(_segment_strings)]


class CardWindow(_Model):
    """Dates a target looks at: ``after`` (inclusive) and ``before`` (exclusive), each a date or
    ``"launch"`` (the launch card's ``launch_date``); ``days`` bounds the window's length."""

    after: date | Literal["launch"] | None = None
    before: date | Literal["launch"] | None = None
    days: int | None = Field(default=None, gt=0)


class CardMatch(_Model):
    """How a target finds its themes when meaning alone should not decide: theme ids or keywords."""

    themes: list[int] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class CardPhase(_Model):
    name: str = Field(min_length=1)
    start: date


class CardTarget(_Model):
    """One target on a card: a metric over the themes that match ``need``, with ``min`` or ``max``."""

    name: str | None = None
    need: str | None = None               # the need in the team's words (matched by meaning)
    match: CardMatch | None = None
    metric: str
    min: float | None = None
    max: float | None = None
    segment: SegmentFilter = Field(default_factory=dict)
    window: CardWindow | None = None
    source: list[SourceKind] = Field(default_factory=list)
    moscow: Literal["must", "should", "could", "won't"] | None = None   # the team's class (demand cards)
    segments: SegmentFilter = Field(default_factory=dict)  # target segments (readiness metrics)
    phase: str | None = None              # the launch phase a readiness target is due for

    @field_validator("source", mode="before")
    @classmethod
    def _sources(cls, v: Any) -> Any:
        v = [v] if isinstance(v, str) else v
        return [_SOURCE_ALIASES.get(x, x) if isinstance(x, str) else x for x in v] if isinstance(v, list) else v

    @field_validator("moscow", mode="before")
    @classmethod
    def _moscow(cls, v: Any) -> Any:
        return _MOSCOW_ALIASES.get(v.strip().lower(), v.strip().lower()) if isinstance(v, str) else v

    @property
    def direction(self) -> Literal["min", "max"]:
        return "min" if self.min is not None else "max"

    @property
    def value(self) -> float:
        return self.min if self.min is not None else self.max  # type: ignore[return-value]

    def label(self) -> str:
        """``name``, else built from the metric and the need."""
        return self.name or f"{self.metric} ({self.need or ', '.join(self.segments) or 'all'})"


class Card(_Model):
    """One KPI card: a demand-validation, launch-cadence or revenue-bet card with its targets."""

    kind: CardKind
    name: str = Field(min_length=1)
    owner: str | None = None
    segment: SegmentFilter = Field(default_factory=dict)  # inherited by every target
    feature: str | None = None            # launch cards: the feature (as named in features.yaml)
    launch_date: date | None = None
    phases: list[CardPhase] = Field(default_factory=list)
    targets: list[CardTarget] = Field(min_length=1)

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, v: Any) -> Any:
        return _KIND_ALIASES.get(v.strip(), v.strip()) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> "Card":
        # load_cards checks problems itself to name the field and the line; direct construction checks here.
        if not (info.context or {}).get("defer_checks"):
            problems = card_problems(self)
            if problems:
                loc, msg = problems[0]
                raise ValueError(f"{'.'.join(str(x) for x in loc)}: {msg}")
        return self


def card_problems(card: Card) -> list[tuple[tuple, str]]:
    """Semantic problems of a card as ``(field path within the card, message)``; empty when valid."""
    out: list[tuple[tuple, str]] = []
    known = CARD_METRICS[card.kind]
    phases = {p.name for p in card.phases}
    for i, t in enumerate(card.targets):
        at = ("targets", i)
        if t.metric not in known:
            out.append((at + ("metric",), f"unknown metric {t.metric!r} for a {card.kind} card; known: {', '.join(known)}"))
        if (t.min is None) == (t.max is None):
            out.append((at, "give exactly one of 'min' or 'max' (the target), not " + ("both" if t.min is not None else "neither")))
        for bound in ("min", "max"):
            v = getattr(t, bound)
            if v is not None and t.metric in SHARE_METRICS and not 0 <= v <= 1:
                out.append((at + (bound,), f"{t.metric} is a share between 0 and 1 (0.05 = 5%), got {v}"))
            elif v is not None and v < 0:
                out.append((at + (bound,), f"{t.metric} cannot be negative, got {v}"))
        if t.window and "launch" in (t.window.after, t.window.before) and card.launch_date is None:
            out.append((at + ("window",), "'launch' needs the card's launch_date"))
        if t.window and None not in (t.window.after, t.window.before, t.window.days):
            out.append((at + ("window",), "give at most two of after, before and days"))
        if t.phase is not None and t.phase not in phases:
            out.append((at + ("phase",), f"no phase {t.phase!r} on this card; phases: {', '.join(sorted(phases)) or '(none)'}"))
        if t.moscow is not None and card.kind != "demand_validation":
            out.append((at + ("moscow",), "moscow belongs on demand_validation cards"))
        if t.metric in known and t.metric not in READINESS_METRICS and not (t.need or t.match):
            out.append((at + ("need",), f"{t.metric} counts feedback on a need: give 'need' (text) or 'match'"))
        if t.metric in READINESS_METRICS and not t.segments:
            out.append((at + ("segments",), f"{t.metric} needs the target 'segments', e.g. {{company_size: [1000+, 1-10]}}"))
    if card.kind == "launch_cadence" and card.launch_date is None:
        out.append((("launch_date",), "a launch_cadence card needs its launch_date (YYYY-MM-DD)"))
    return out



class CardSet(_Model):
    """Cards read from one file (``source``); ``as_of`` is the date phases and windows are judged at."""

    cards: list[Card] = Field(default_factory=list)
    as_of: date | None = None
    source: str | None = None


class MatchedTheme(_Model):
    theme_id: int
    name: str
    similarity: float | None = None       # None when matched by id or keyword


class TargetResult(_Model):
    """One target scored: the evidence's value, the target, and how sure we are."""

    card: str
    kind: CardKind
    target: str
    metric: str
    direction: Literal["min", "max"]
    target_value: float
    actual: float | None = None
    status: TargetStatus
    ratio: float | None = None            # attainment: actual/target (min) or target/actual (max); >= 1 meets it
    ci_low: float | None = None
    ci_high: float | None = None
    confident: bool | None = None         # the whole interval is on the same side of the target
    n: int | None = None                  # the denominator (respondents, items, notes) the value rests on
    baseline: float | None = None         # mention_share in the same-length window before launch
    match_method: Literal["themes", "keywords", "similarity", "llm", "feature", "none"] = "none"
    themes: list[MatchedTheme] = Field(default_factory=list)
    candidates: list[MatchedTheme] = Field(default_factory=list)  # nearest themes when unmatched/ambiguous
    evidence: list[Quote] = Field(default_factory=list)
    moscow: str | None = None             # the team's class
    moscow_evidence: str | None = None    # the class the evidence (LLM naming) suggests
    moscow_disagrees: bool = False
    phase: str | None = None
    note: str | None = None               # why there is no value, what was excluded


class PhaseStatus(_Model):
    name: str
    start: date
    status: Literal["upcoming", "ready", "behind"]
    targets: list[str] = Field(default_factory=list)


class CardResult(_Model):
    name: str
    kind: CardKind
    owner: str | None = None
    status: Literal["pass", "at_risk", "fail"]
    targets: list[TargetResult] = Field(default_factory=list)
    phases: list[PhaseStatus] = Field(default_factory=list)


class UnownedTheme(_Model):
    """A theme no target covers that is large, growing or costing deals."""

    theme_id: int
    name: str
    respondents: int
    respondent_share: float
    growth: float | None = None           # share of items in recent months / share earlier
    recent_items: int = 0
    deal_value: float = 0.0
    lost_deal_value: float = 0.0
    reasons: list[str] = Field(default_factory=list)   # large / growing / lost_deals
    quotes: list[Quote] = Field(default_factory=list)


class CardScores(_Model):
    """The result of ``score_cards``: every card and target, plus the demand no card owns."""

    as_of: date
    cards: list[CardResult] = Field(default_factory=list)
    unowned: list[UnownedTheme] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)

    def targets(self) -> list[TargetResult]:
        return [t for c in self.cards for t in c.targets]

    def to_pandas(self) -> "pd.DataFrame":
        """One row per target: card, kind, target, metric, actual, target_value, direction, status, ratio,
        ci_low, ci_high, themes (matched theme ids, ``;``-separated)."""
        import pandas as pd

        cols = ["card", "kind", "target", "metric", "actual", "target_value", "direction", "status", "ratio",
                "ci_low", "ci_high", "themes"]
        rows = [{**{c: getattr(t, c) for c in cols[:-1]}, "themes": ";".join(str(m.theme_id) for m in t.themes)}
                for t in self.targets()]
        return pd.DataFrame(rows, columns=cols)
