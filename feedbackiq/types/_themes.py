"""Need themes and the theme report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

if TYPE_CHECKING:  # pandas is a dependency, but slow to import: loaded by the methods that use it
    import pandas as pd

from feedbackiq.types._base import SourceKind, _Model, _Result, is_json_text
from feedbackiq.types._feedback import FeedbackSet
from feedbackiq.types._llm import LLMOutcome

__all__ = ["Assignment", "Citation", "Quote", "Theme", "Need", "ThemeReport", "GroupRef", "NeedRename", "NeedMerge",
           "ThemeMove", "ThemeSplit", "NeedOverrides"]


class Assignment(_Model):
    """One item's theme and need: ``theme_id`` is ``-1`` for the explicit "other" bucket."""

    item_id: str
    theme_id: int
    probability: float = Field(ge=0.0, le=1.0)
    subtheme_id: int | None = None
    need_id: int | None = None            # the theme's need (or non-need group); None in "other"


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


class _Group(_Model):
    """What a theme and a need both carry: a set of feedback items, sized and described."""

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
    # Filled by the LLM step; None until then.
    need_statement: str | None = None
    moscow: str | None = None             # a hint spread by the evidence (share, negative share, deal value), not the LLM's
    moscow_rationale: str | None = None
    need_citations: list[Citation] = Field(default_factory=list)
    dropped_citations: int = 0            # the LLM's claims (name, need statement) that failed their check
    label_source: Literal["keywords", "quote", "llm", "override"] = "keywords"
    label_note: str | None = None         # why a group kept its offline name (privacy threshold, failed check ...)


class Theme(_Group):
    """A theme: one way customers put a need, a dense cluster of items (the drill-down of a need)."""

    need_id: int | None = None            # the need (or non-need group) it belongs to; None for sub-themes and "other"
    parent_id: int | None = None          # set on sub-themes
    subthemes: list["Theme"] = Field(default_factory=list)


class Need(_Group):
    """A customer need: the themes that voice it, in any language, sized and described together.

    ``kind`` is ``"need"`` for a need, ``"praise"`` for praise, thanks and small talk, which are kept
    apart (out of need rankings, heatmaps, personas, unowned demand and card matching).
    """

    kind: Literal["need", "praise"] = "need"
    theme_ids: list[int] = Field(default_factory=list)


class GroupRef(_Model):
    """Which need or theme an override means: the one holding an item (``item``: stable across reruns),
    or by this run's ``id``, or by its current ``name``. Exactly one is given."""

    item: str | None = None
    id: int | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one(self) -> "GroupRef":
        if sum(v is not None for v in (self.item, self.id, self.name)) != 1:
            raise ValueError("give exactly one of item, id or name")
        return self


class NeedRename(_Model):
    """Give a need a name of the team's choosing, or say whether it is a need at all."""

    need: GroupRef
    name: str | None = Field(default=None, min_length=1)
    kind: Literal["need", "praise"] | None = None


class NeedMerge(_Model):
    """These needs are one need (named ``name`` when given)."""

    needs: list[GroupRef] = Field(min_length=2)
    name: str | None = Field(default=None, min_length=1)


class ThemeMove(_Model):
    """This theme belongs to that need."""

    theme: GroupRef
    to: GroupRef


class ThemeSplit(_Model):
    """This theme is a need of its own (named ``name`` when given)."""

    theme: GroupRef
    name: str | None = Field(default=None, min_length=1)


class NeedOverrides(_Model):
    """A team's fixes to the need tree, applied after grouping on every run (``find_themes(overrides=)``,
    ``[themes] overrides`` in a run config): splits, then moves, then merges, then renames."""

    split: list[ThemeSplit] = Field(default_factory=list)
    move: list[ThemeMove] = Field(default_factory=list)
    merge: list[NeedMerge] = Field(default_factory=list)
    rename: list[NeedRename] = Field(default_factory=list)
    source: str | None = None             # the file it was read from


class ThemeReport(_Result):
    """The result of ``find_themes``: themes, per-item assignments and provenance."""

    _view_package: ClassVar[str] = "feedbackiq.themes"

    themes: list[Theme] = Field(default_factory=list)
    needs: list[Need] = Field(default_factory=list)       # kind "need", largest (in respondents) first
    non_needs: list[Need] = Field(default_factory=list)   # praise and small talk, kept out of need rankings
    other: Theme | None = None            # the explicit "other" bucket (theme id -1), if any items are in it
    assignments: list[Assignment] = Field(default_factory=list)
    n_items: int = 0
    n_respondents: int = 0
    parameters: dict[str, Any] = Field(default_factory=dict)
    model_ids: dict[str, str] = Field(default_factory=dict)
    input_hash: str = ""
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per stage: embed, cluster, describe
    llm_stats: dict[str, Any] = Field(default_factory=dict)  # naming: themes named/skipped, dropped citations, usage
    llm_outcome: LLMOutcome | None = None  # how the naming calls ended (None: not named by an LLM)
    note: str | None = None               # why the report has no themes, when it has none
    override_notes: list[str] = Field(default_factory=list)  # need overrides applied, or not (and why)
    feedback: FeedbackSet | None = None

    def assignments_in_item_order(self) -> bool:
        """Whether ``assignments[i]`` is the assignment of ``feedback.items[i]`` for every item (as
        ``find_themes`` makes them): readers can then walk both together instead of a lookup by id."""
        items = self.feedback.items if self.feedback is not None else None
        return items is not None and len(items) == len(self.assignments) and all(
            a.item_id == it.id for a, it in zip(self.assignments, items))

    def theme(self, theme_id: int) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(f"no theme with id {theme_id}")

    def need(self, need_id: int) -> Need:
        """The need or non-need group with this id."""
        for n in (*self.needs, *self.non_needs):
            if n.id == need_id:
                return n
        raise KeyError(f"no need with id {need_id}")

    def to_pandas(self) -> "pd.DataFrame":
        """One row per theme (no sub-themes), sorted by respondents, with the need it belongs to."""
        import pandas as pd

        rows = [
            {
                "theme_id": t.id,
                "need_id": t.need_id,
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
        return pd.DataFrame(rows).astype({"need_id": "Int64"}) if rows else pd.DataFrame(rows)

    def needs_to_pandas(self) -> "pd.DataFrame":
        """One row per need, then one per non-need group (praise), with their theme ids."""
        import pandas as pd

        return pd.DataFrame([
            {
                "need_id": n.id,
                "kind": n.kind,
                "name": n.name,
                "items": n.size,
                "respondents": n.respondents,
                "respondent_share": n.respondent_share,
                "mean_rating": n.mean_rating,
                "deal_value": n.deal_value,
                "theme_ids": " ".join(map(str, n.theme_ids)),
                "keywords": ", ".join(n.keywords),
            }
            for n in (*self.needs, *self.non_needs)
        ], columns=["need_id", "kind", "name", "items", "respondents", "respondent_share", "mean_rating",
                    "deal_value", "theme_ids", "keywords"])

    def assignments_to_pandas(self, start: int = 0, stop: int | None = None) -> "pd.DataFrame":
        """One row per assignment (of ``start:stop``), built column by column; ``subtheme_id`` and
        ``need_id`` are nullable integers (``<NA>`` where an item is in no sub-theme, or in "other")."""
        import pandas as pd

        rows = self.assignments[start:stop]
        return pd.DataFrame({
            "item_id": pd.array([a.item_id for a in rows], dtype=object),
            "theme_id": pd.array([a.theme_id for a in rows], dtype="int64"),
            "probability": pd.array([a.probability for a in rows], dtype="float64"),
            "subtheme_id": pd.array([a.subtheme_id for a in rows], dtype="Int64"),
            "need_id": pd.array([a.need_id for a in rows], dtype="Int64"),
        })

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "ThemeReport":
        """Read a report; from a file without its items, those of ``feedback.json`` beside it are
        attached when they are the ones the themes were found in (same input hash)."""
        p = None if is_json_text(text_or_path) else Path(text_or_path)
        text = p.read_bytes() if p is not None else str(text_or_path)
        report = cls.model_validate_json(text)
        beside = p.parent / "feedback.json" if p is not None else None
        if report.feedback is None and beside is not None and beside.exists():
            from feedbackiq._hashing import input_hash

            feedback = FeedbackSet.model_validate_json(beside.read_bytes())
            if input_hash(feedback.items) == report.input_hash:
                report.feedback = feedback
        return report
