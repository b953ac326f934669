"""Persona cards as Markdown a GTM person can read as they are."""

from __future__ import annotations

from pathlib import Path

from feedbackiq._mdsafe import md_code, md_escape
from feedbackiq._paths import result_file
from feedbackiq.types import Citation, Claim, FeatureTranslation, Persona, PersonaSet, markdown_view

__all__ = ["personas_to_markdown", "write_personas", "load_personas", "translations_to_markdown", "write_translations",
           "load_translations", "slug", "NO_NEEDS",
           "TEMPLATE_NOTE"]

# A persona without a need (the set has none, or this group voices none): said, not an empty table.
NO_NEEDS = "No need is voiced by this group (a need takes several items voicing it; praise is not a need)."


def _words(words) -> str:
    return ", ".join(md_escape(w) for w in words)


def _reasons(dropped: dict[str, int]) -> str:
    return ", ".join(f"{n} {md_escape(why)}" for why, n in sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0])))


def _cites(citations: list[Citation], quotes: bool = True) -> str:
    return ", ".join(md_code(x.item_id) + (f": \"{md_escape(x.quote)}\"" if quotes else "") for x in citations)


def _card(p: Persona, level: int = 2) -> list[str]:
    lines = [f"{'#' * level} {md_escape(p.label)}", "", md_escape(p.summary), "",
             f"- Evidence: {p.respondents} respondents/accounts, {p.items} feedback items; confidence **{p.confidence}**"]
    if p.deal_value:
        lost = f" ({p.deals_lost_value:,.0f} in lost deals)" if p.deals_lost_value else ""
        lines.append(f"- Deal value in sales notes: {p.deal_value:,.0f}{lost}")
    for col, vals in p.facts.items():
        lines.append(f"- {md_escape(col)}: " + ", ".join(f"{md_escape(k)} ({v})" for k, v in list(vals.items())[:5]))
    if p.preferred_words:
        lines.append("- Words they use: " + _words(p.preferred_words))
    if not p.top_needs:
        lines += ["", f"_{NO_NEEDS}_"]
    else:
        lines += ["", "| need | voiced here | overall | lift |", "|---|---:|---:|---:|"]
    lines += [f"| {md_escape(n.need_name)} (need #{n.need_id}) | {100 * n.share:.0f}% ({n.respondents}) | {100 * n.overall_share:.0f}% | "
              f"{n.lift:.1f}x |" for n in p.top_needs]
    sales = "from sales notes" if p.source == "llm" else "sentences of their sales notes"
    for title, claims in (("Pains", p.pains), ("Goals", p.goals), (f"Objections ({sales})", p.objections),
                          (f"Buying triggers ({sales})", p.buying_triggers)):
        if claims:
            lines += ["", f"**{title}**", ""]
            lines += [f"- {md_escape(c.text)} ({_cites(c.citations)})" for c in claims]
    if p.source == "llm":
        share = f"{100 * p.supported_share:.0f}%" if p.supported_share is not None else "n/a"
        why = f": {_reasons(p.dropped)}" if p.dropped else ""
        lines += ["", f"_Drafted by an LLM from the evidence above; {share} of its claims passed the evidence check "
                      f"({p.claims_dropped} dropped{why})._"]
    elif p.note:
        lines += ["", f"_Extractive card: {md_escape(p.note)}._"]
    if p.quotes:
        lines += ["", "In their words:", ""]
    lines += [f"> {md_escape(q.text)}  \n> — {q.source.value}, item {md_code(q.item_id)}\n" for q in p.quotes]
    return lines if p.quotes else [*lines, ""]


@markdown_view(PersonaSet)
def personas_to_markdown(personas: PersonaSet) -> str:
    how = f"one persona per value of {md_code(personas.by)}" if personas.by else "respondents clustered by the needs they voice"
    lines = ["# Personas", "", f"Drafted from customer feedback ({how}). Every number is computed from the data; "
             "quotes are verbatim.", ""]
    if personas.note:
        lines += [f"_Why this grouping: {md_escape(personas.note)}._", ""]
    for p in personas.personas:
        lines += _card(p)
    segments = personas.by_segment()
    if segments is not personas:
        lines += [f"## The same customers by {md_code(segments.by)}", "",
                  "Feature messages and launch-readiness targets are per segment: these are their personas.", ""]
        for p in segments.personas:
            lines += _card(p, level=3)
    return "\n".join(lines)


def slug(text: str) -> str:
    """A file-name-safe slug that keeps Chinese: "company_size: 1000+" -> "company_size-1000"."""
    import re

    return re.sub(r"[^\w\u4e00-\u9fff]+", "-", text).strip("-").lower() or "item"


def write_personas(personas: PersonaSet, out_dir: str | Path) -> dict[str, Path]:
    """``personas.json``, ``personas.md`` (all cards) and ``personas/<label>.md`` (one document per persona)."""
    out = Path(out_dir)
    (out / "personas").mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "personas.json", "markdown": out / "personas.md"}
    paths["json"].write_text(personas.model_dump_json(indent=1), encoding="utf-8")
    paths["markdown"].write_text(personas_to_markdown(personas), encoding="utf-8")
    for p in personas.personas:
        doc = out / "personas" / f"{p.id + 1:02d}-{slug(p.label)}.md"
        lines = _card(p)
        lines[0] = f"# {md_escape(p.label)}"  # the card's heading becomes the document's title
        doc.write_text("\n".join(lines), encoding="utf-8")
    return paths


def load_personas(path: str | Path) -> PersonaSet:
    """The PersonaSet :func:`write_personas` wrote (a folder, or its ``personas.json``)."""
    return PersonaSet.from_json(result_file(path, "personas.json", "write one with `feedbackiq personas`"))


TEMPLATE_NOTE = ("Template, not LLM-written (no LLM configured, or its draft failed): this segment's top pain "
                 "phrase and the feature's benefit; edit before use.")


def _gloss(c: Claim) -> str:
    """A claim's gloss, marked as a translation."""
    return f" — _“{md_escape(c.gloss)}” (translation by an LLM)_" if c.gloss else ""


def translations_to_markdown(translations: list[FeatureTranslation], need_names: dict[int, str] | None = None) -> str:
    """One section per feature, one subsection per segment: the message, the needs it answers there (named
    from ``need_names``, need id -> name) and the words to use and avoid."""
    names = need_names or {}
    lines = ["# Features in each segment's words", ""]
    for ft in translations:
        lines += [f"## {md_escape(ft.feature.name)}", "", f"_Engineering description:_ {md_escape(ft.feature.description)}", ""]
        for m in ft.messages:
            lines += [f"### {md_escape(m.persona)}", ""]
            if m.headline:
                lines += [f"**{md_escape(m.headline)}**", ""]
            if m.value_proposition:
                lines += [md_escape(m.value_proposition), ""]
            if m.headline and m.source == "template":
                lines += [f"_{TEMPLATE_NOTE}_", ""]
            if m.note:
                lines += [f"_No LLM message: {md_escape(m.note)}._", ""]
            elif m.source == "llm" and m.claims_dropped:
                lines += [f"_Lines of the LLM's message left out: {_reasons(m.dropped)}._", ""]
            if m.pain:
                lines.append(f"- Their top pain, in their words: “{md_escape(m.pain.text)}” "
                             f"({_cites(m.pain.citations, quotes=False)}){_gloss(m.pain)}")
            needs = ", ".join(md_escape(names.get(n, f"need #{n}")) for n in m.relevant_needs) or "none voiced by this segment"
            lines.append(f"- Needs this feature answers, as this segment voices them: {needs}")
            lines.append("- Words they use: " + (_words(m.words_they_use) or "(too little feedback)"))
            lines.append("- Jargon to avoid: " + (_words(m.jargon_to_avoid) or "(none)"))
            if m.customer_word_share is not None:
                lines.append(f"- Message words from their own feedback: {100 * m.customer_word_share:.0f}% "
                             f"(from the engineering description: {100 * (m.technical_word_share or 0):.0f}%)")
            if m.proof_points:
                lines += ["", "Proof points:"]
                for c in m.proof_points:
                    cites = _cites(c.citations, quotes=False)
                    lines.append(f"- {md_escape(c.text)}" + (f" ({cites})" if cites else "") + _gloss(c))
            if m.objection_handling:
                lines += ["", "Objection handling (from sales notes):"]
                lines += [f"- {md_escape(c.text)} ({_cites(c.citations, quotes=False)}){_gloss(c)}" for c in m.objection_handling]
            lines.append("")
    return "\n".join(lines)


def write_translations(translations: list[FeatureTranslation], out_dir: str | Path,
                       need_names: dict[int, str] | None = None) -> dict[str, Path]:
    import json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "translations.json", "markdown": out / "translations.md"}
    paths["json"].write_text(json.dumps([t.model_dump(mode="json") for t in translations], ensure_ascii=False, indent=1),
                             encoding="utf-8")
    paths["markdown"].write_text(translations_to_markdown(translations, need_names), encoding="utf-8")
    (out / "features").mkdir(exist_ok=True)
    for i, ft in enumerate(translations, start=1):  # one document per feature, a section per segment
        body = translations_to_markdown([ft], need_names).replace("# Features in each segment's words\n\n## ", "# ", 1)
        (out / "features" / f"{i:02d}-{slug(ft.feature.name)}.md").write_text(body, encoding="utf-8")
    return paths


def load_translations(path: str | Path) -> list[FeatureTranslation]:
    """The feature translations :func:`write_translations` wrote (a folder, or its ``translations.json``)."""
    import json

    p = result_file(path, "translations.json", "write one with `feedbackiq translate`")
    return [FeatureTranslation.model_validate(x) for x in json.loads(p.read_text(encoding="utf-8"))]
