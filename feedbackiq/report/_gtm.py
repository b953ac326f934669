"""Personas and feature translations: the GTM drafts, each claim shown with its evidence."""

from __future__ import annotations

from feedbackiq._lang import detect_language
from feedbackiq.gtm import NO_NEEDS, TEMPLATE_NOTE
from feedbackiq.report._html import DASH, chips, esc, lang_attr, num, pct, section
from feedbackiq.types import Claim, FeatureTranslation, Persona, PersonaSet, Quote, SegmentMessage, ThemeReport

__all__ = ["personas_section", "translations_section"]


def _quotes(quotes: list[Quote], languages: dict[str, str]) -> str:
    return "".join(f'<blockquote class="quote small"><p{lang_attr(languages.get(q.item_id))}>{esc(q.text)}</p>'
                   f'<footer>{esc(q.source.value)}{" · " + esc(q.respondent_id) if q.respondent_id else ""} · '
                   f"<code>{esc(q.item_id)}</code></footer></blockquote>" for q in quotes)


def _gloss(c: Claim) -> str:
    """A claim's gloss, marked as a translation."""
    if not c.gloss:
        return ""
    return (f'<div class="gloss"{lang_attr(detect_language(c.gloss))}>“{esc(c.gloss)}” '
            '<span class="muted">(translation by an LLM)</span></div>')


def _cite(c: Claim, languages: dict[str, str]) -> str:
    """The claim's citations: the quote and item id, or the id alone when the claim is the quote itself."""
    return "".join(f'<div class="cite"{lang_attr(languages.get(x.item_id))}>'
                   + (f"“{esc(x.quote)}” " if x.quote != c.text else "") + f"<code>{esc(x.item_id)}</code></div>"
                   for x in c.citations)


def _claims(title: str, claims: list[Claim], languages: dict[str, str]) -> str:
    if not claims:
        return ""
    items = "".join(f"<li{lang_attr(detect_language(c.text))}>{esc(c.text)}{_cite(c, languages)}{_gloss(c)}</li>"
                    for c in claims)
    return f'<h4>{esc(title)}</h4><ul class="claims">{items}</ul>'


def _need(need_id: int, name: str, report: ThemeReport) -> str:
    """A need's name, linked to its first theme's card (the drill-down into how customers put it)."""
    need = next((n for n in report.needs if n.id == need_id), None)
    if need is None or not need.theme_ids:
        return esc(name)
    return f'<a href="#theme-{need.theme_ids[0]}">{esc(name)}</a>'


def _persona(p: Persona, languages: dict[str, str], report: ThemeReport) -> str:
    facts = [f"{num(p.respondents)} respondents", f"{num(p.items)} items"]
    if p.deal_value:
        facts.append(f"deal value {num(p.deal_value)}" + (f" ({num(p.deals_lost_value)} lost)" if p.deals_lost_value else ""))
    needs = "".join(f'<tr><td>{_need(n.need_id, n.need_name, report)}</td><td class="n">{pct(n.share)}</td>'
                    f'<td class="n">{pct(n.overall_share)}</td><td class="n">{n.lift:.1f}×</td></tr>' for n in p.top_needs)
    other = "".join(f"<li>{esc(col)}: " + esc(", ".join(f"{k} ({v})" for k, v in list(vals.items())[:4])) + "</li>"
                    for col, vals in p.facts.items())
    drafted = ""
    if p.source == "llm":
        drafted = (f'<p class="muted">Label, summary and claims drafted by an LLM from this evidence; '
                   f"{pct(p.supported_share)} of its claims passed the evidence check ({p.claims_dropped} dropped).</p>")
    return (f'<article class="persona"><h3>{esc(p.label)} <span class="conf conf-{esc(p.confidence)}">'
            f"{esc(p.confidence)} confidence</span></h3><p>{esc(p.summary)}</p>"
            f'<p class="facts">{esc(" · ".join(facts))}</p>{f"<ul class=facts>{other}</ul>" if other else ""}'
            + ('<table class="plain needs"><thead><tr><th>Top needs</th><th class="n">here</th><th class="n">overall</th>'
               f'<th class="n">lift</th></tr></thead><tbody>{needs}</tbody></table>' if needs else f'<p class="muted">{NO_NEEDS}</p>')
            + f'<h4>Words they use</h4><div class="chips">{chips(p.preferred_words)}</div>'
            + _claims("Pains", p.pains, languages) + _claims("Goals", p.goals, languages)
            + _claims("Objections (from sales notes)", p.objections, languages)
            + _claims("Buying triggers (from sales notes)", p.buying_triggers, languages)
            + (f"<h4>In their words</h4>{_quotes(p.quotes, languages)}" if p.quotes else "") + f"{drafted}</article>")


def _languages(report: ThemeReport, drafts: list) -> dict[str, str]:
    """The language of each item the drafts quote or cite (not of every item: evals/README.md, "Measurements behind the code")."""
    wanted: set[str] = set()
    for d in drafts:
        _collect_item_ids(d.model_dump(), wanted)
    return {it.id: it.language for it in report.feedback.items if it.id in wanted} if report.feedback else {}


def _collect_item_ids(value, out: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "item_id" and isinstance(v, str):
                out.add(v)
            else:
                _collect_item_ids(v, out)
    elif isinstance(value, list):
        for v in value:
            _collect_item_ids(v, out)


def personas_section(personas: PersonaSet, report: ThemeReport) -> str:
    how = (f"one persona per value of {personas.by}" if personas.by
           else "customers grouped by the needs they voice")
    languages = _languages(report, personas.personas)
    cards = "".join(_persona(p, languages, report) for p in personas.personas)
    return section("personas", "Personas",
                   f"Who the customers are ({how}). Numbers are counted from the feedback, quotes are verbatim; "
                   "lift = how much more often this persona voices a need than everyone (2× = twice as often).",
                   f'<div class="cards">{cards}</div>')


def _message(m: SegmentMessage, report: ThemeReport, languages: dict[str, str]) -> str:
    names = {n.id: n.name for n in report.needs}
    needs = ", ".join(_need(n, names.get(n, f"need #{n}"), report) for n in m.relevant_needs)
    parts = [f'<div class="message"><h4>{esc(m.persona)}</h4>']
    if m.headline:
        parts.append(f'<p class="headline">{esc(m.headline)}</p><p>{esc(m.value_proposition or "")}</p>')
        if m.source == "template":
            parts.append(f'<p class="muted">{esc(TEMPLATE_NOTE)}</p>')
    if m.pain:
        parts.append(f'<div class="pain"><b>Their top pain, in their words:</b> <span{lang_attr(detect_language(m.pain.text))}>'
                     f"“{esc(m.pain.text)}”</span>{_cite(m.pain, languages)}{_gloss(m.pain)}</div>")
    parts.append(f'<p><b>Needs it answers here:</b> {needs or "none voiced by this segment"}</p>'
                 f'<p><b>Words they use:</b></p><div class="chips">{chips(m.words_they_use)}</div>'
                 f'<p><b>Jargon to avoid:</b></p><div class="chips">{chips(m.jargon_to_avoid, "chip avoid")}</div>')
    if m.customer_word_share is not None:
        parts.append(f'<p class="muted">Message words from their own feedback: {pct(m.customer_word_share)} '
                     f"(from the engineering description: {pct(m.technical_word_share)}).</p>")
    parts.append(_claims("Proof", m.proof_points, languages) or f'<p class="muted">Proof: {DASH}</p>')
    parts.append(_claims("Objection handling (from sales notes)", m.objection_handling, languages))
    return "".join(parts) + "</div>"


def translations_section(translations: list[FeatureTranslation], report: ThemeReport) -> str:
    languages = _languages(report, translations)
    blocks = "".join(
        f'<article class="feature"><h3>{esc(ft.feature.name)}</h3><p class="muted">Engineering description: '
        f'{esc(ft.feature.description)}</p><div class="messages">'
        + "".join(_message(m, report, languages) for m in ft.messages) + "</div></article>"
        for ft in translations)
    return section("features", "Features in each segment's words",
                   "For each feature and segment: the words to say it in (the segment's own), the jargon that segment "
                   "never uses, and proof from its feedback.", blocks)
