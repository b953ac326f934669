"""KPI cards: the team's targets, and how the evidence scores against them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

if TYPE_CHECKING:  # pandas is a dependency, but slow to import: loaded by the methods that use it
    import pandas as pd

from feedbackiq.types._base import SourceKind, _Model, _Result
from feedbackiq.types._llm import LLMOutcome
from feedbackiq.types._themes import Quote

__all__ = [
    "CARD_METRICS",
    "Card",
    "CardMatch",
    "CardPhase",
    "CardResult",
    "CardScores",
    "CardSet",
    "CardTarget",
    "CardWindow",
    "MatchedNeed",
    "PhaseStatus",
    "SHARE_METRICS",
    "TargetResult",
    "TargetVerdict",
    "UnownedNeed",
]


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
    """How a target finds its needs when meaning alone should not decide: need ids, theme ids or keywords.

    ``needs`` counts the whole of each listed need; ``themes`` counts only the listed themes (a need's
    drill-down), each under its need. A need matches ``keywords`` when at least ``min_share`` of its items
    carry one of them as a whole word (a whole jieba token in Chinese), not when a keyword appears
    somewhere in it.
    """

    needs: list[int] = Field(default_factory=list)
    themes: list[int] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    min_share: float = Field(default=0.2, gt=0.0, le=1.0)


class CardPhase(_Model):
    name: str = Field(min_length=1)
    start: date


class CardTarget(_Model):
    """One target on a card: a metric over the need that matches ``need``, with ``min`` or ``max``."""

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


class MatchedNeed(_Model):
    """A need a target is about (or a candidate for it), with the themes counted as its evidence."""

    need_id: int
    name: str
    similarity: float | None = None       # None when matched by id or keyword
    items: int | None = None              # the need's items (keyword matches)
    keyword_items: dict[str, int] = Field(default_factory=dict)  # keyword -> the need's items carrying it
    theme_ids: list[int] = Field(default_factory=list)  # the themes whose items count (all of the need's, or those listed)


class TargetVerdict(_Model):
    """A target's verdict on another match: the similarity match, when the LLM's confirmation changed it."""

    status: TargetStatus
    actual: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    needs: list[MatchedNeed] = Field(default_factory=list)


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
    match_method: Literal["needs", "themes", "keywords", "similarity", "llm", "feature", "none"] = "none"
    needs: list[MatchedNeed] = Field(default_factory=list)
    candidates: list[MatchedNeed] = Field(default_factory=list)  # nearest needs when unmatched/ambiguous
    evidence: list[Quote] = Field(default_factory=list)
    moscow: str | None = None             # the team's class
    moscow_evidence: str | None = None    # the class the evidence (LLM naming) suggests
    moscow_disagrees: bool = False
    phase: str | None = None
    note: str | None = None               # why there is no value, what was excluded
    # The LLM's confirmation of a match made by meaning: what it changed or wanted to, with its reasons,
    # and the verdict without it when it changed the match (shown beside the verdict).
    llm_changes: list[str] = Field(default_factory=list)
    without_llm: TargetVerdict | None = None


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
    feature: str | None = None            # launch cards: the feature launched
    launch_date: date | None = None       # launch cards: when (the report marks it on its trend chart)


class UnownedNeed(_Model):
    """A need no target covers that is large, growing or costing deals."""

    need_id: int
    name: str
    theme_ids: list[int] = Field(default_factory=list)
    respondents: int
    respondent_share: float
    growth: float | None = None           # share of items in recent months / share earlier
    recent_items: int = 0
    deal_value: float = 0.0
    lost_deal_value: float = 0.0
    reasons: list[str] = Field(default_factory=list)   # large / growing / lost_deals
    quotes: list[Quote] = Field(default_factory=list)


class CardScores(_Result):
    """The result of ``score_cards``: every card and target, plus the demand no card owns."""

    _view_package: ClassVar[str] = "feedbackiq.cards"

    as_of: date
    cards: list[CardResult] = Field(default_factory=list)
    unowned: list[UnownedNeed] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)
    llm_outcome: LLMOutcome | None = None  # how the match-confirming calls ended (None: no LLM)

    def targets(self) -> list[TargetResult]:
        return [t for c in self.cards for t in c.targets]

    def to_pandas(self) -> "pd.DataFrame":
        """One row per target: card, kind, target, metric, actual, target_value, direction, status, ratio,
        ci_low, ci_high, needs (matched need ids, ``;``-separated), need_names (``; ``-separated)."""
        import pandas as pd

        cols = ["card", "kind", "target", "metric", "actual", "target_value", "direction", "status", "ratio",
                "ci_low", "ci_high", "needs", "need_names"]
        rows = [{**{c: getattr(t, c) for c in cols[:-2]}, "needs": ";".join(str(m.need_id) for m in t.needs),
                 "need_names": "; ".join(m.name for m in t.needs)} for t in self.targets()]
        return pd.DataFrame(rows, columns=cols)
