"""Launch readiness: personas drafted, messaging translated and proof quotes, for each target segment.

Read from what the GTM steps produced (a PersonaSet from ``draft_personas``, the FeatureTranslations
from ``translate_features``); without them the target has no data, and says which input is missing.
A message counts as translated when it speaks to at least one of the feature's needs as the segment
voices them and has a headline or proof quotes.
"""

from __future__ import annotations

from feedbackiq.cards._match import needs_of_themes
from feedbackiq.cards._metrics import judge
from feedbackiq.types import Card, CardTarget, FeatureTranslation, PersonaSet, TargetResult, ThemeReport

__all__ = ["readiness", "target_segments"]


def target_segments(t: CardTarget) -> list[tuple[str, str]]:
    """``{company_size: [1000+, 1-10]}`` -> ``[("company_size", "1000+"), ("company_size", "1-10")]``."""
    return [(col, str(v)) for col, vals in t.segments.items() for v in (vals if isinstance(vals, list) else [vals])]


def readiness(card: Card, t: CardTarget, personas: PersonaSet | None,
              translations: list[FeatureTranslation] | None, report: ThemeReport) -> TargetResult:
    res = TargetResult(card=card.name, kind=card.kind, target=t.label(), metric=t.metric, direction=t.direction,
                       target_value=t.value, status="no_data", phase=t.phase, match_method="feature")
    segs = target_segments(t)
    if t.metric == "personas_drafted":
        if personas is None:
            res.note = "no personas given (personas.json from `feedbackiq personas`)"
            return res
        drafted = [*personas.personas, *personas.segment_personas]   # data-driven personas keep the segment ones
        have = [s for s in segs if any(p.segment.get(s[0]) == s[1] for p in drafted)]
        res.actual, res.n = len(have) / len(segs), len(segs)
        missing = [f"{c}={v}" for c, v in segs if (c, v) not in have]
        res.note = f"no persona for {', '.join(missing)}" if missing else None
        judge(res)
        return res
    if translations is None:
        res.note = "no translations given (translations.json from `feedbackiq translate`)"
        return res
    ft = next((f for f in translations if card.feature and f.feature.name.lower() == card.feature.lower()), None)
    if ft is None:
        res.note = (f"feature {card.feature!r} is not in the translations; features: "
                    + ", ".join(f.feature.name for f in translations)) if card.feature else "the card names no feature"
        return res
    res.needs = needs_of_themes(sorted({x for m in ft.messages for x in m.relevant_themes}), report)
    per_segment = {}
    for col, v in segs:
        msg = next((m for m in ft.messages if m.segment.get(col) == v), None)
        per_segment[(col, v)] = msg
    if t.metric == "messaging_translated":
        done = [s for s, m in per_segment.items() if m and m.relevant_themes and (m.headline or m.proof_points)]
        res.actual, res.n = len(done) / len(segs), len(segs)
        missing = [f"{c}={v}" for c, v in segs if (c, v) not in done]
        res.note = f"no message on the feature's needs for {', '.join(missing)}" if missing else None
    else:  # proof_quotes: the segment with the fewest decides
        counts = {s: len(m.proof_points) if m else 0 for s, m in per_segment.items()}
        res.actual, res.n = float(min(counts.values())), len(segs)
        res.note = "proof quotes: " + ", ".join(f"{c}={v} {n}" for (c, v), n in counts.items())
    judge(res)
    return res
