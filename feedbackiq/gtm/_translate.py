"""Market-language translation: each feature said in each segment's own words, with evidence.

Computed by code for every feature x segment: the needs the feature answers (explicit need or theme
ids, or matched by meaning; never praise), ranked by how many of the segment's respondents voice
each; the segment's words for it (log-odds of its feedback on those needs against the other segments',
with an informative prior: ``_vocab.words_they_use``); "jargon to avoid" (words of the technical
description the segment's own feedback never uses, as whole words with their inflections); proof quotes
from the segment's own items in those needs (each need's central quotes first). An LLM, when given,
writes the proof points, the value proposition, headline options and objection handling, in that order,
each claim after the words it copies (:class:`FeatureLines`); it is shown what the feature does for the
customer (the features file's ``benefit``), not the engineering description, when the file says. A segment that voices none
of the feature's needs gets no call: its message says "no evidence in this segment". Each line of a
message is judged on its own, as persona claims are (:mod:`feedbackiq.llm._claims`): the value
proposition, proof points and objection handling cite the segment's items (objections: its sales notes)
and use fewer than ``MAX_JARGON_IN_LINE`` words of the jargon to avoid (more, and the line says the
engineering description again); a line that repeats an earlier one of the message is dropped. The
headline (the first option that passes) uses none of them, at least one of the segment's own words
(when most of its feedback is in the output language), and no number that is not in the input. A reply
is sent back once when fewer than half its lines survive or its headline or every proof point is dropped;
a message with no proof point left stays extractive, and its headline and value proposition come from a
labelled template (:mod:`feedbackiq.gtm._message`). Every message reports how many of its content words
come from the segment's own feedback vs the engineering description.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, create_model, model_validator

from feedbackiq._tokenize import tokenize
from feedbackiq._voice import voice_of
from feedbackiq.gtm._draft import NO_SUPPORTED_CLAIM
from feedbackiq.gtm._message import document_language, finish_messages, proof_claims
from feedbackiq.gtm._personas import quoted_items
from feedbackiq.gtm._vocab import jargon_to_avoid, phrases, words_they_use
from feedbackiq.llm import (LLM, MAX_NAME_CHARS, ClaimChecker, ClaimVerdict, EvidenceSet, GroundedClaim, Judgement,
                            MeaningChecks, Outbound, at_most, capped, citing_only, claims_in, evidence_set,
                            fallback_reason, fit_evidence, in_schema_order, judged_generate, language_instruction,
                            map_calls, name_key, output_language, sales_refs, tally)
from feedbackiq.themes import need_similarities
from feedbackiq.types import Claim, Feature, FeatureTranslation, LLMOutcome, PersonaSet, SegmentMessage, SourceKind, ThemeReport

__all__ = ["translate_features", "FeatureMessage", "FeatureLines", "word_shares", "match_needs", "headline_problem",
           "in_their_words", "reply_model", "NO_EVIDENCE"]

log = logging.getLogger("feedbackiq")
# A feature answers the needs close in meaning to its description: within MATCH_BAND of the best match
# (a feature often answers more than one need: supply-chain visibility is a coordination need for some
# customers and a cost need for others), never below MATCH_MIN_SIMILARITY, at most MATCH_TOP. The floor
# sits between the needs the sample features answer and the closest needs they do not.
# Need or theme ids listed in the features file win.
MATCH_MIN_SIMILARITY = 0.25
MATCH_BAND = 0.3
MATCH_TOP = 4
NO_EVIDENCE = "no evidence in this segment"
JARGON = "uses jargon to avoid"
NOT_THEIR_WORDS = "none of the segment's own words"
PROOF_ITEMS, SALES_ITEMS = 10, 6
OBJECTIONS = "objection handling"
REPEATED = "repeats another line"
HEADLINE_OPTIONS = 3
# A message line with this many words of the jargon to avoid says the engineering description again (one
# may be the only word there is: "inventory" to a shop that never says it).
MAX_JARGON_IN_LINE = 2


class FeatureLines(BaseModel):
    """A message without objection handling (what is asked when no sales note is shown), in the order a model
    writes it: what the segment's customers said first, each claim after the words it copies; the headline
    last, written from them (a small model that writes the headline first copies the feature's name)."""

    model_config = ConfigDict(json_schema_extra=in_schema_order)

    proof_points: list[GroundedClaim] = at_most(2)
    value_proposition: GroundedClaim
    headlines: list[str] = at_most(HEADLINE_OPTIONS)   # options: the first in the segment's words is used

    @model_validator(mode="before")
    @classmethod
    def _one_headline(cls, data: Any) -> Any:
        """A model (or an older cached reply) may give one ``headline`` instead of options."""
        if isinstance(data, dict) and "headlines" not in data and "headline" in data:
            data = {**data, "headlines": [data["headline"]]}
        if isinstance(data, dict) and isinstance(data.get("headlines"), str):
            data = {**data, "headlines": [data["headlines"]]}
        return data


class FeatureMessage(FeatureLines):
    objection_handling: list[GroundedClaim] = at_most(1)


_REPLY_MODELS: dict[tuple[int, tuple[int, ...]], type[FeatureLines]] = {}


def reply_model(evidence: EvidenceSet) -> type[FeatureLines]:
    """The reply schema for one message: claims cite only the handles shown, objection handling only the sales
    notes' (no objection handling without one).

    >>> from feedbackiq.types import FeedbackItem
    >>> ev = EvidenceSet([FeedbackItem(id="a", text="Slow.", source="survey"),
    ...                   FeedbackItem(id="b", text="Price.", source="sales_note")])
    >>> schema = reply_model(ev).model_json_schema()
    >>> schema["required"], schema["$defs"]["SalesNoteClaim"]["properties"]["refs"]["items"]["enum"]
    (['proof_points', 'value_proposition', 'headlines', 'objection_handling'], [2])
    """
    sales = tuple(n for n, it in enumerate(evidence.items, 1) if it.source == SourceKind.SALES_NOTE)
    key = (len(evidence), sales)
    if key not in _REPLY_MODELS:
        claim = citing_only(GroundedClaim, range(1, len(evidence) + 1), "FeedbackClaim")
        fields: dict[str, Any] = {"proof_points": (list[claim], at_most(2)), "value_proposition": (claim, ...)}
        if sales:
            fields["objection_handling"] = (list[citing_only(GroundedClaim, sales, "SalesNoteClaim")], at_most(1))
        base = FeatureMessage if sales else FeatureLines
        _REPLY_MODELS[key] = create_model(base.__name__, __base__=base, **fields)
    return _REPLY_MODELS[key]


def headline_problem(headline: str, jargon: list[str], own_words: set[str] | None) -> str | None:
    """Why a headline is not said in the segment's words (None: it is): it uses a word of the jargon to avoid,
    or (``own_words`` given) none of the segment's own words.

    >>> headline_problem("Real-time dashboard for inventory", ["dashboard", "real-time"], {"stock"})
    'uses jargon to avoid'
    >>> headline_problem("Stop paying for stock you cannot see", ["dashboard"], {"stock", "paying"}) is None
    True
    """
    if jargon_used(headline, jargon):
        return JARGON
    words = [w for w in tokenize(headline) if " " not in w]
    if own_words is not None and words and not set(words) & own_words:
        return NOT_THEIR_WORDS
    return None


def jargon_used(text: str, jargon: list[str]) -> list[str]:
    """The words of ``jargon`` a headline or message line uses, in its order.

    >>> jargon_used("Real-time dashboard for inventory", ["dashboard", "real-time"])
    ['real-time', 'dashboard']
    """
    avoid = set(jargon)
    return list(dict.fromkeys(w for w in tokenize(text) if " " not in w and w in avoid))


def _first_headline(checker: ClaimChecker, options: list[str], jargon: list[str],
                    own_words: set[str] | None) -> tuple[str, str | None]:
    """The first headline option usable as it is, else the first option and why it is not."""
    first: tuple[str, str | None] | None = None
    for option in options:
        headline, problem = checker.text(option, MAX_NAME_CHARS)
        problem = problem or headline_problem(headline, jargon, own_words)
        if problem is None:
            return headline, None
        first = first or (headline, problem)
    return first or ("", "empty")


def in_their_words(text: str, verdict: ClaimVerdict, jargon: list[str]) -> tuple[ClaimVerdict, str]:
    """``verdict``, or a drop when the line says the engineering description again (``MAX_JARGON_IN_LINE`` or
    more words of the jargon to avoid), with the words it used for the retry.

    >>> ok = ClaimVerdict(True, None, [])
    >>> in_their_words("We over-order stock we cannot see arriving", ok, ["dashboard", "inbound"])[0].kept
    True
    >>> v, detail = in_their_words("A real-time dashboard of inbound shipments", ok, ["dashboard", "inbound", "real-time"])
    >>> v.reason, detail
    ('uses jargon to avoid', 'used: real-time, dashboard, inbound')
    """
    used = jargon_used(text, jargon)
    if verdict.kept and len(used) >= MAX_JARGON_IN_LINE:
        return ClaimVerdict(False, JARGON, []), "used: " + ", ".join(used)
    return verdict, ""


def word_shares(message: str, segment_vocab: set[str], technical_vocab: set[str]) -> tuple[float | None, float | None]:
    """Share of the message's content words found in the segment's feedback / in the technical description.

    >>> word_shares("Stop losing money on stock", {"stock", "money", "losing"}, {"inventory", "visibility"})
    (0.75, 0.0)
    """
    words = [w for w in tokenize(message) if " " not in w]
    if not words:
        return None, None
    return (round(sum(w in segment_vocab for w in words) / len(words), 4),
            round(sum(w in technical_vocab for w in words) / len(words), 4))


def match_needs(feature: Feature, report: ThemeReport) -> list[int]:
    """The feature's needs (ids in ``report.needs``): the listed needs and the needs of the listed themes,
    else the needs most similar in meaning to its description. Praise and small talk are never matched;
    a listed id that is no need of the report is left out with a warning."""
    if feature.needs or feature.themes:
        real = {n.id for n in report.needs}
        need_of_theme = {t.id: t.need_id for t in report.themes}
        wanted = [*feature.needs, *(need_of_theme.get(t) for t in feature.themes)]
        unknown = [f"need {n}" for n in feature.needs if n not in real]
        unknown += [f"theme {t}" for t in feature.themes if need_of_theme.get(t) not in real]
        if unknown:
            log.warning("feature %r: left out %s: no need of this report (unknown id, or praise and small talk)",
                        feature.name, ", ".join(unknown))
        return list(dict.fromkeys(n for n in wanted if n in real))
    sims = need_similarities([f"{feature.name}. {feature.description}"], report)[0]
    order = np.argsort(-sims, kind="stable")
    floor = max(MATCH_MIN_SIMILARITY, float(sims[order[0]]) - MATCH_BAND) if len(order) else 1.0
    return [report.needs[i].id for i in order[:MATCH_TOP] if sims[i] >= floor]


def translate_features(features: list[Feature], personas: PersonaSet, report: ThemeReport, llm: LLM | None = None,
                       *, language: str = "same", min_respondents: int = 3) -> list[FeatureTranslation]:
    """For each feature x persona (segment): words, jargon, proof quotes, and (with an LLM) the message.

    ``llm=None``: no LLM (the environment is not read: pass :meth:`LLM.from_env` for that); the
    needs, words, jargon and proof quotes are computed all the same; the LLM-written lines are left out.

    ``min_respondents`` is the privacy threshold of the LLM step: nothing of a theme (and no persona)
    voiced by fewer respondents is sent. Each translation's ``llm_outcome`` counts its calls.
    """
    items = list(report.feedback.items) if report.feedback else []
    lang = output_language(language, [it.language for it in items])
    need_of = {a.item_id: a.need_id for a in report.assignments}
    theme_of = {a.item_id: a.theme_id for a in report.assignments}
    quoted = quoted_items(report)
    tokens = {it.id: tokenize(it.text) for it in items}
    said = {it.id: phrases(it.text) for it in items}
    background = Counter(w for ws in said.values() for w in ws)
    members = _persona_items(personas, items, report)
    outbound = Outbound(report, min_respondents) if llm is not None else None
    doc_language, glossed = document_language(language, items), {}
    out = []
    for feature in features:
        needs = match_needs(feature, report)
        technical = {w for w in tokenize(f"{feature.name} {feature.description}") if " " not in w}
        messages = []
        for persona in personas.personas:
            own = members[persona.id]
            own_ids = {it.id for it in own}
            # Only the needs this segment actually voices, voiced by most of its respondents first.
            share = Counter(n for _, n in {(voice_of(it), need_of.get(it.id)) for it in own})
            ranked = sorted((n for n in needs if share.get(n, 0) > 0), key=lambda n: -share[n])
            vocab = {w for it in own for w in tokens[it.id] if " " not in w}
            words = _words_for(own_ids, needs, items, need_of, said, background)
            jargon = jargon_to_avoid(f"{feature.name} {feature.description}", (it.text for it in own))
            proof = [it for n in ranked for it in _central_first([it for it in own if need_of.get(it.id) == n], quoted[n])]
            sales = [it for it in own if it.source == SourceKind.SALES_NOTE and need_of.get(it.id) in ranked]
            voiced = [t for t, _ in Counter(theme_of[it.id] for it in proof).most_common()]
            msg = SegmentMessage(persona=persona.label, segment=persona.segment, relevant_needs=ranked,
                                 relevant_themes=[t for n in ranked for t in voiced if t in report.need(n).theme_ids],
                                 words_they_use=words, jargon_to_avoid=jargon,
                                 proof_points=proof_claims(proof[:3]))
            messages.append((msg, persona, own, proof, sales, vocab, technical))
        outcome = _write_with_llm(llm, feature, messages, lang, outbound) if outbound is not None else None
        more = finish_messages(feature, [(m, proof) for m, _, _, proof, *_ in messages], doc_language, llm, outbound, glossed)
        outcome = LLMOutcome.merge("feature messages", [outcome, more]) if more is not None else outcome
        out.append(FeatureTranslation(feature=feature, messages=[m for m, *_ in messages], llm_outcome=outcome))
    return out


def _words_for(own_ids: set[str], needs: list[int], items, need_of: dict[str, int | None], said: dict[str, list[str]],
               background: Counter) -> list[str]:
    """The segment's words for a feature: its feedback on the feature's needs against the other segments'
    on them, with all the feedback as the prior (none when the segment does not voice those needs)."""
    about = [it.id for it in items if need_of.get(it.id) in needs]
    group = [said[i] for i in about if i in own_ids]
    rest = [said[i] for i in about if i not in own_ids]
    # a handful of texts: a word said once is already theirs; more, and it must be said twice
    return words_they_use(group, rest, background, top_n=10, min_count=1 if len(group) < 10 else 2) if group else []


def _central_first(items: list, central: list[str]) -> list:
    """``items`` (one segment's items of a need) with the need's central quotes first, in their order."""
    rank = {item_id: r for r, item_id in enumerate(central)}
    return sorted(items, key=lambda it: rank.get(it.id, len(rank)))


def _persona_items(personas: PersonaSet, items, report: ThemeReport) -> dict[int, list]:
    """Items of each persona: by its segment value, or (data-driven) by the voices whose needs formed it."""
    out: dict[int, list] = defaultdict(list)
    need_of = {a.item_id: a.need_id for a in report.assignments}
    for p in personas.personas:
        if p.segment:
            out[p.id] = [it for it in items if all(it.segments.get(k) == v for k, v in p.segment.items())]
        else:
            needs = {n.need_id for n in p.top_needs[:1]}
            voices = {voice_of(it) for it in items if need_of.get(it.id) in needs}
            out[p.id] = [it for it in items if voice_of(it) in voices]
    return out


def _write_with_llm(llm: LLM, feature: Feature, messages, language: str, outbound: Outbound) -> LLMOutcome:
    """Write each segment's message with ``llm`` (in place); a segment without evidence on the feature's
    needs gets no call. Returns how the calls ended, the lines kept and dropped, and the messages left
    extractive, by why."""
    fallbacks: dict[str, int] = {}
    jobs, withheld = [], 0
    meaning = MeaningChecks(outbound.report)
    for msg, persona, own, proof, sales, vocab, technical in messages:
        sendable = outbound.items(proof)[:PROOF_ITEMS]
        why = (NO_EVIDENCE if not proof else "privacy threshold" if not (outbound.persona_ok(persona) and sendable)
               else None)
        if why is not None:
            withheld += why != NO_EVIDENCE
            msg.note = why if why == NO_EVIDENCE else "not sent to the LLM (privacy threshold)"
            fallbacks[why] = fallbacks.get(why, 0) + 1
            continue
        chosen = list({it.id: it for it in sendable + outbound.items(sales)[:SALES_ITEMS]}.values())
        jobs.append((msg, persona, own, chosen, vocab, technical))

    def one(job) -> Judgement:
        msg, persona, own, chosen, vocab, technical = job
        segment = outbound.persona_label(persona)
        needs = "; ".join(filter(None, (outbound.need_name(outbound.report.need(n)) for n in msg.relevant_needs)))
        # The segment's own words count when most of its feedback is in the language the headline is written in.
        own_words = vocab if 2 * sum(it.language == language for it in own) >= len(own) else None
        evidence, variables = fit_evidence(llm, "translate_feature", {
            # What it does for the customer, when the features file says: a small model shown the engineering
            # description says it again, in the jargon the message is to avoid.
            "feature": f"{feature.name}: {(feature.benefit or '').strip() or feature.description}",
            "segment": segment, "needs": needs or "(none)",
            "words_they_use": ", ".join(outbound.terms(msg.words_they_use, [it.text for it in outbound.items(own)])) or "(none)",
            "jargon_to_avoid": ", ".join(msg.jargon_to_avoid) or "(none)",
            "evidence": "", "sales_refs": sales_refs(EvidenceSet(chosen), OBJECTIONS),
            "language_instruction": language_instruction(language),
        }, FeatureMessage, evidence_set(chosen, outbound.text, sales_last=True))
        variables["sales_refs"] = sales_refs(evidence, OBJECTIONS)
        facts = f"{feature.name}: {feature.description} | {segment} | {needs}"
        checker = ClaimChecker(evidence, language, facts, meaning)

        def judge(m: FeatureLines) -> Judgement:
            j = Judgement()
            headline, problem = _first_headline(checker, capped(m, "headlines"), msg.jargon_to_avoid, own_words)
            used = ", ".join(jargon_used(headline, msg.jargon_to_avoid)) if problem == JARGON else ""
            j.add("headlines", ClaimVerdict(problem is None, problem, []), detail=f"used: {used}" if used else "")
            j.require("headlines", problem is None)
            value, verdict = checker.claim(m.value_proposition)
            verdict, detail = in_their_words(value, verdict, msg.jargon_to_avoid)
            said = {name_key(value)} if j.add("value_proposition", verdict, detail=detail) else set()
            kept = {"proof_points": [], "objection_handling": []}
            for part, sources in (("proof_points", None), ("objection_handling", [SourceKind.SALES_NOTE])):
                for k, claim in enumerate(capped(m, part)):
                    text, v = checker.claim(claim, sources=sources)
                    v, detail = in_their_words(text, v, msg.jargon_to_avoid)
                    if v.kept and name_key(text) in said:   # the same line again (case, width, punctuation aside)
                        v = ClaimVerdict(False, REPEATED, [])
                    said.add(name_key(text))
                    if j.add(f"{part}[{k}]", v, detail=detail):
                        kept[part].append(Claim(text=text, citations=v.citations))
            j.require("proof_points", len(kept["proof_points"]))
            j.result = (None if problem else headline, value if verdict.kept else None, kept)
            return j

        reply = claims_in(reply_model(evidence), language)
        return judged_generate(llm, "translate_feature", variables, reply, judge, partial=True)[1]

    results, failures = map_calls(llm, one, jobs)
    outcome = tally("feature messages", sum(r is not None for r in results), failures, withheld=withheld)
    outcome.outputs, outcome.fallbacks = len(messages), fallbacks
    for job, judgement in zip(jobs, results):
        if judgement is None:
            continue
        judgement.count_into(outcome)
        msg, _, _, _, vocab, technical = job
        headline, value, kept = judgement.result
        msg.claims_dropped, msg.dropped = judgement.made - judgement.kept, dict(judgement.dropped)
        if not kept["proof_points"]:
            fallbacks[NO_SUPPORTED_CLAIM] = fallbacks.get(NO_SUPPORTED_CLAIM, 0) + 1
            msg.note = "the LLM's message had no supported proof point: extractive draft kept"
            continue
        msg.headline, msg.value_proposition, msg.source = headline, value, "llm"
        msg.proof_points, msg.objection_handling = kept["proof_points"], kept["objection_handling"]
        text = " ".join(filter(None, [headline, value, *(c.text for c in kept["proof_points"])]))
        msg.customer_word_share, msg.technical_word_share = word_shares(text, vocab, technical)
    for i, exc in failures:
        why = fallback_reason(exc)
        fallbacks[why] = fallbacks.get(why, 0) + 1
        jobs[i][0].note = f"LLM message not used ({why}): extractive draft kept"
        log.warning("message for %s kept its extractive draft: %s", jobs[i][0].persona, exc)
    return outcome
