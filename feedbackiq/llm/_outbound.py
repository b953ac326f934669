"""What of a report may leave the machine in a prompt: the one gate every LLM prompt builder goes through.

Two rules, for every step (theme naming, persona drafts, feature messages, card confirmation):

- **Privacy threshold.** Nothing of a theme voiced by fewer than ``min_respondents`` distinct
  respondents is sent: not its quotes, not its items as another theme's contrast or a persona's
  evidence (also when its need is larger), not its keywords or keyword name. Nothing of a need
  voiced by fewer is sent either, and praise and small talk are never sent as a need. Personas of
  fewer respondents are not sent.
- **Redaction before words are picked.** Texts are redacted (:class:`feedbackiq.Redactor`), and any
  term computed from texts (theme keywords, keyword names, a segment's distinctive words) is sent
  only if it still occurs in the redacted text of an item it came from: a keyword that only an
  email address, a phone number or a handle put there ("jane", "acmewidgets") is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from feedbackiq.types import FeedbackItem, Need, Theme, ThemeReport

if TYPE_CHECKING:
    from feedbackiq.types import Persona

__all__ = ["Outbound", "MAX_TERM_CHECKS"]

# Texts holding a term that are redacted to look for it before the term counts as personal data and is
# dropped. A real keyword is found in the first text that holds it; the cap bounds the cost for a term
# that only ever occurs inside personal data.
MAX_TERM_CHECKS = 100


class Outbound:
    """The gate for one report's prompts.

    Parameters
    ----------
    report : ThemeReport
        With its feedback attached.
    min_respondents : int, default 3
        Privacy threshold: themes (and personas) voiced by fewer distinct respondents are withheld.
    redact : bool, default True
        Redact texts and check terms against the redacted texts. ``False`` sends texts and terms as they are
        (the threshold still applies).
    """

    def __init__(self, report: ThemeReport, min_respondents: int = 3, redact: bool = True) -> None:
        from feedbackiq._redact import Redactor

        self.report = report
        self.min_respondents = min_respondents
        self.redactor = Redactor() if redact else None
        self.withheld = {t.id for t in report.themes if t.respondents < min_respondents}
        self.themes = {t.id: t for t in report.themes}
        self._theme_of: dict[str, int] | None = None
        self._members: dict[int, list[str]] | None = None
        self._keywords: dict[int, list[str]] = {}
        self._need_keywords: dict[int, list[str]] = {}
        self._need_names: dict[int, str] = {}
        self._redacted_tokens: dict[str, list[str]] = {}
        # Prompts are built in LLM.map's threads: one Redactor numbers its placeholders, one at a time.
        self._lock = threading.Lock()

    # -- what may be sent --------------------------------------------------------------------------
    def theme_ok(self, theme_id: int) -> bool:
        return theme_id not in self.withheld

    def item_ok(self, item: FeedbackItem | str) -> bool:
        """Whether an item may be sent: it is in no theme, the "other" bucket, or a theme at or above the threshold."""
        if self._theme_of is None:
            self._theme_of = {a.item_id: a.theme_id for a in self.report.assignments}
        return self._theme_of.get(item if isinstance(item, str) else item.id, -1) not in self.withheld

    def items(self, items: Iterable[FeedbackItem]) -> list[FeedbackItem]:
        return [it for it in items if self.item_ok(it)]

    def need_ok(self, need: Need) -> bool:
        """Whether a need may be named in a prompt: a need (not praise) of enough respondents."""
        return need.kind == "need" and need.respondents >= self.min_respondents

    def persona_ok(self, persona: "Persona") -> bool:
        return persona.respondents >= self.min_respondents

    def text(self, text: str) -> str:
        if self.redactor is None:
            return text
        with self._lock:
            return self.redactor.redact(text)

    # -- terms computed from texts ---------------------------------------------------------------------
    def terms(self, terms: Sequence[str], texts: Sequence[str]) -> list[str]:
        """The ``terms`` that still occur (as tokens) in the redacted text of one of ``texts`` holding them."""
        if self.redactor is None:
            return list(terms)
        return [term for term in terms if self._survives(term, texts)]

    def keywords(self, theme: Theme) -> list[str]:
        """The theme's keywords that survive redaction of its members' texts (none for a withheld theme)."""
        if not self.theme_ok(theme.id):
            return []
        if theme.id not in self._keywords:
            self._keywords[theme.id] = self.terms(theme.keywords, self._member_texts().get(theme.id, []))
        return self._keywords[theme.id]

    def need_keywords(self, need: Need) -> list[str]:
        """The need's keywords said in the (redacted) texts of its sendable themes: none for a need that may
        not be sent, and none that only a theme below the threshold says (a need's keywords come from all
        its items)."""
        if not self.need_ok(need):
            return []
        if need.id not in self._need_keywords:
            members = self._member_texts()
            texts = [text for t in need.theme_ids if self.theme_ok(t) for text in members.get(t, [])]
            self._need_keywords[need.id] = [term for term in need.keywords if self._survives(term, texts)]
        return self._need_keywords[need.id]

    def theme_name(self, theme: Theme) -> str:
        """A name that may be sent: an LLM's (written from redacted evidence), else rebuilt from the sendable keywords."""
        from feedbackiq.themes import keyword_name

        if theme.label_source == "llm":
            return theme.name
        return keyword_name(self.keywords(theme))

    def need_name(self, need: Need) -> str:
        """A need's name that may be sent (``""`` for a need that may not): an LLM's; else its offline name (a
        typical quote), redacted, when a sendable member says it; else rebuilt from its sendable keywords."""
        from feedbackiq.themes import keyword_name

        if not self.need_ok(need):
            return ""
        if need.label_source == "llm":
            return need.name
        if need.id not in self._need_names:   # reads every member text: once per need
            members, said = self._member_texts(), need.name.casefold()
            quoted = any(said in text.casefold() for t in need.theme_ids if self.theme_ok(t) for text in members.get(t, []))
            self._need_names[need.id] = self.text(need.name) if quoted else keyword_name(self.need_keywords(need))
        return self._need_names[need.id]

    def persona_label(self, persona: "Persona") -> str:
        """A segment persona's label (column: value), or a data-driven one's number and sendable top need."""
        if persona.segment:
            return persona.label
        needs = {n.id: n for n in self.report.needs}
        top = next((needs[n.need_id] for n in persona.top_needs
                    if n.need_id in needs and self.need_ok(needs[n.need_id])), None)
        return f"Persona {persona.id + 1}" + (f": {self.need_name(top)}" if top is not None else "")

    def _member_texts(self) -> dict[int, list[str]]:
        if self._members is None:
            text = {it.id: it.text for it in (self.report.feedback.items if self.report.feedback else [])}
            members: dict[int, list[str]] = {}
            for a in self.report.assignments:
                if a.item_id in text:
                    members.setdefault(a.theme_id, []).append(text[a.item_id])
            self._members = members
        return self._members

    def _survives(self, term: str, texts: Sequence[str]) -> bool:
        from feedbackiq._tokenize import tokenize

        parts, checked = term.lower().split(), 0
        for text in texts:
            low = text.lower()
            if not all(p in low for p in parts):
                continue
            tokens = self._redacted_tokens.get(text)
            if tokens is None:
                tokens = self._redacted_tokens[text] = tokenize(self.text(text))
            if term in tokens:
                return True
            checked += 1
            if checked >= MAX_TERM_CHECKS:
                break
        return False
