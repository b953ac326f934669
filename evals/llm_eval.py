"""The LLM steps against a real model: the bundled samples through ``feedbackiq.run`` with an LLM.

    make local-llm-start                     # llama-server + Qwen2.5-Coder-1.5B on 127.0.0.1:8080 (README)
    nice .venv/bin/python evals/llm_eval.py  # or: make eval-llm (sets up and starts the server too)
    .venv/bin/python evals/llm_eval.py --base-url https://api.openai.com/v1 --model gpt-4o-mini   # any endpoint

Not part of the test suite (30-60 minutes against a 1.5B model on 2 cores). Runs
``datasets/samples/ --by company_size --features datasets/features.yaml --cards datasets/cards.yaml`` into
``--out`` and prints, per LLM step (theme names, persona drafts, feature messages, card matches):

- replies: calls, accepted, failed by reason (the run's ``LLMOutcome``);
- claims: made, kept and dropped by reason, and the outputs (names, personas, messages) that came from the
  offline path, by why (the step's ``LLMOutcome``: each claim is kept or dropped on its own);
- citations: the cited items' share that exist and whose quote is in the item's text (normalised whitespace);
- language: the share of LLM-written texts in the run's main language, and in their evidence's language;
- names vs planted needs (needs, and themes when they are named): the share of groups with a planted need whose
  LLM name is nearer (multilingual USE embedding) to that need's description than to any other planted need;
  the same for the top-3 keywords as the offline baseline; duplicate names the model gave (kept off by the
  uniqueness check: counted as fallbacks) and left in the report;
- need statements: kept, and dropped by what the meaning checks found (not supported by the cited items,
  turning what customers have into a need, praise only, fitting another need);
- card matches: what the LLM's confirmation did (confirmed, narrowed or added, dropped a weak match; doubted a
  strong match or named a need below the threshold, both without effect) and the verdicts it changed;
- calls, input/output tokens and minutes (this run's rows of the call log ``llm.sqlite``; the stage's wall time).

Writes everything to ``OUT/llm_eval.json`` too. ``--resume`` reuses the run's finished stages and cached replies.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# The call log's prompt names, by step (stage name in the run, step in the outcomes).
STEPS = {"name_need": ("names", "need names"), "name_theme": ("names", "theme names"),
         "draft_persona": ("personas", "persona drafts"), "draft_sales_traits": ("personas", "persona drafts"),
         "translate_feature": ("translate", "feature messages"), "confirm_card_match": ("cards", "card matches")}

# The planted needs of datasets/make_samples.py, described as a product team would (for the name agreement).
PLANTED = {
    "battery": "battery life: the battery drains fast and dies before the end of the day, charging",
    "camera": "camera: photos are blurry at night and in low light",
    "dialect": "voice input and speech recognition that understands regional dialects and accents",
    "onboarding": "onboarding: new users find it confusing and hard to get started",
    "pricing": "pricing: the product is too expensive, cost and value for money",
    "support": "customer support: slow or no reply from the support team",
    "permissions": "sharing and permissions: control who can see and edit which sheets and files",
    "supply_chain_visibility": "supply chain visibility: tracking inventory, purchasing, shipments and production",
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1"))
    ap.add_argument("--model", default=os.environ.get("FEEDBACKIQ_LLM_MODEL", "qwen2.5-coder-1.5b-instruct"))
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "llm-eval")
    ap.add_argument("--resume", action="store_true", help="reuse finished stages and cached replies")
    ap.add_argument("--timeout", type=float, default=None, help="[llm] timeout (default: by where the model runs)")
    ap.add_argument("--concurrency", type=int, default=None, help="[llm] max_concurrency (default: by where)")
    ap.add_argument("--language", default=None, help="[output] language (default: the config's)")
    args = ap.parse_args(argv)

    import feedbackiq as fiq
    from feedbackiq.pipeline import RunConfig

    os.environ.setdefault("OPENAI_API_KEY", "none")
    cfg = RunConfig.model_validate({
        "llm": {"model": args.model, "base_url": args.base_url, "timeout": args.timeout,
                "max_concurrency": args.concurrency},
        "personas": {"by": "company_size"},
        **({"output": {"language": args.language}} if args.language else {}),
    })
    started = time.time()
    result = fiq.run([ROOT / "datasets" / "samples"], args.out, config=cfg, features=ROOT / "datasets" / "features.yaml",
                     cards=ROOT / "datasets" / "cards.yaml", resume=args.resume, progress="plain", best_effort=True)
    wall = time.time() - started
    report = evaluate(result, started)
    report["wall_minutes"] = round(wall / 60, 1)
    report["endpoint"] = {"base_url": args.base_url, "model": args.model, **result.manifest.llm.get("settings", {})}
    (args.out / "llm_eval.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print_report(report)
    return report


# -- what is measured ------------------------------------------------------------------------------------------

def evaluate(result: Any, since: float) -> dict[str, Any]:
    """Every number of the eval from a finished run (``since``: when it started, to read only its calls)."""
    fs = result.report.feedback
    texts = {it.id: it.text for it in fs.items}
    main_lang = Counter(it.language for it in fs.items if it.language in ("en", "zh")).most_common(1)[0][0]
    outcomes = {o.step: o for o in result.llm_outcomes}
    names = outcomes.get("need and theme names")
    if names is not None:   # level "both": the run keeps one merged outcome; the report keeps each level's counts
        outcomes.update({f"{lv[:-1]} names": _level_outcome(result.report, lv) for lv in ("needs", "themes")})
    stage_seconds = {s.stage: s.seconds for s in result.manifest.stages}
    log = call_log(result.run_dir / "llm.sqlite", since)
    outputs = step_outputs(result)
    steps = {}
    prompts_of: dict[str, tuple[str, list[str]]] = {}
    for prompt, (stage, step) in STEPS.items():
        prompts_of.setdefault(step, (stage, []))[1].append(prompt)
    for step, (stage, prompts) in prompts_of.items():
        o = outcomes.get(step)
        rows = [r for r in log if r["prompt"] in prompts]
        texts_written, citations, expected_langs = outputs.get(step, ([], [], []))
        if o is None and not rows:
            continue
        steps[step] = {
            "replies": {"calls": o.calls if o else 0, "accepted": o.succeeded if o else 0,
                        "failed": dict(o.failed) if o else {}, "not_run": o.not_run if o else 0,
                        "withheld": o.withheld if o else 0},
            "claims": claim_counts(o),
            "citations": citation_validity(citations, texts),
            "language": language_match(texts_written, expected_langs, main_lang),
            "log": {"requests": len([r for r in rows if not r["cache_hit"]]),
                    "cache_hits": sum(r["cache_hit"] for r in rows),
                    "attempts": sum(r["attempts"] for r in rows),
                    "input_tokens": sum(r["input_tokens"] for r in rows),
                    "output_tokens": sum(r["output_tokens"] for r in rows),
                    "llm_minutes": round(sum(r["latency_ms"] for r in rows) / 60000, 1),
                    "stage_minutes": round((stage_seconds.get(stage) or 0) / 60, 1)},
        }
    for step, level in (("need names", "needs"), ("theme names", "themes")):
        if step in steps:
            steps[step]["names_vs_planted"] = name_agreement(result.report, fs, level, outcomes.get(step))
            steps[step]["statements"] = statement_counts(outcomes.get(step))
    if "card matches" in steps:
        steps["card matches"]["confirmation"] = confirmation_counts(result.scores)
    return {"items": len(fs.items), "main_language": main_lang, "steps": steps,
            "note": "each claim kept or dropped on its own"}


def _level_outcome(report: Any, level: str) -> Any:
    """One naming level's counts, from the report's ``llm_stats`` (a run naming both levels merges them)."""
    from feedbackiq.types import LLMOutcome

    s = report.llm_stats.get("by_level", {}).get(level, {})
    c = s.get("claims", {})
    return LLMOutcome(step=f"{level[:-1]} names", calls=s.get("named", 0) + s.get("failed", 0),
                      succeeded=s.get("named", 0), withheld=s.get("below_privacy_threshold", 0),
                      claims=c.get("made", 0), claims_kept=c.get("kept", 0), claims_dropped=c.get("dropped", {}))


def call_log(path: Path, since: float) -> list[dict[str, Any]]:
    """This run's rows of the call log (the file holds every run in the folder)."""
    if not path.exists():
        return []
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM calls WHERE ts >= ?", (since,))]
    finally:
        con.close()


def step_outputs(result: Any) -> dict[str, tuple[list[str], list[Any], list[str | None]]]:
    """Per step: the LLM-written texts, the citations shown, and each text's evidence language (or None)."""
    out: dict[str, tuple[list[str], list[Any], list[str | None]]] = {}
    for step, groups in (("need names", result.report.needs), ("theme names", result.report.themes)):
        named = [g for g in groups if g.label_source == "llm"]
        texts, expected = [], []
        for g in named:
            own = max(g.by_language, key=g.by_language.get) if g.by_language else None
            for s in (g.name, g.need_statement):
                if s:
                    texts.append(s)
                    expected.append(own)
        out[step] = (texts, [c for g in named for c in g.need_citations], expected)
    drafted = [p for p in (result.personas.personas if result.personas else []) if p.source == "llm"]
    claims = [c for p in drafted for c in (*p.pains, *p.goals, *p.objections, *p.buying_triggers)]
    texts = [s for p in drafted for s in (p.label, p.summary)] + [c.text for c in claims]
    out["persona drafts"] = (texts, [x for c in claims for x in c.citations], [None] * len(texts))
    messages = [m for t in (result.translations or []) for m in t.messages if m.source == "llm"]
    claims = [c for m in messages for c in (*m.proof_points, *m.objection_handling)]
    texts = [s for m in messages for s in (m.headline, m.value_proposition) if s] + [c.text for c in claims]
    out["feature messages"] = (texts, [x for c in claims for x in c.citations], [None] * len(texts))
    return out


def claim_counts(outcome: Any) -> dict[str, Any]:
    """Claims made, kept and dropped by reason, and the outputs that came from the offline path, by why."""
    if outcome is None or not (outcome.claims or outcome.outputs):
        return {"made": 0, "kept": None, "dropped": {}, "kept_share": None, "outputs": 0, "fallbacks": {}}
    return {"made": outcome.claims, "kept": outcome.claims_kept, "dropped": dict(outcome.claims_dropped),
            "kept_share": round(outcome.claims_kept / outcome.claims, 3) if outcome.claims else None,
            "outputs": outcome.outputs, "fallbacks": dict(outcome.fallbacks)}


def statement_counts(outcome: Any) -> dict[str, Any]:
    """Need statements dropped by the meaning checks (the other drops are their citations' or language's)."""
    from feedbackiq.llm._meaning import FITS_ANOTHER, INVERTED, NOT_SUPPORTED, PRAISE_ONLY

    dropped = dict(outcome.claims_dropped) if outcome is not None else {}
    meaning = {why: dropped.get(why, 0) for why in (NOT_SUPPORTED, INVERTED, PRAISE_ONLY, FITS_ANOTHER)}
    return {"unsupported": sum(meaning.values()), "by_reason": meaning}


# What the LLM's card confirmation did, by the first word of each change it made or wanted (cards/_confirm.py).
CONFIRMATION = {"confirmed": "confirmed", "added": "added (at or above the threshold)", "dropped": "dropped a weak match",
                "doubts": "doubted a strong match (stands)", "named": "named a need below the threshold (not added)",
                "rejected": "rejected without a reason (stands)"}


def confirmation_counts(scores: Any) -> dict[str, Any]:
    """The confirmation's changes by kind, and the targets whose verdict or evidence it changed."""
    targets = scores.targets() if scores is not None else []
    kinds = Counter(CONFIRMATION.get(c.split()[1], c.split()[1]) for t in targets for c in t.llm_changes if len(c.split()) > 1)
    changed = [t for t in targets if t.without_llm is not None]
    flipped = [t for t in changed if t.without_llm.status != t.status]
    return {"targets_confirmed": sum(t.match_method == "llm" for t in targets), "changes": dict(kinds),
            "matches_changed": len(changed), "verdicts_flipped": len(flipped),
            "flips": [f"{t.target}: {t.without_llm.status} -> {t.status}" for t in flipped]}


def citation_validity(citations: list[Any], texts: dict[str, str]) -> dict[str, Any]:
    """Citations shown in the outputs: the item exists, and the quote is in its text (whitespace normalised)."""
    def norm(s: str) -> str:
        return " ".join(s.split())

    known = [c for c in citations if c.item_id in texts]
    verbatim = [c for c in known if c.quote.strip() and norm(c.quote) in norm(texts[c.item_id])]
    return {"shown": len(citations), "known_item": len(known), "quote_in_item": len(verbatim),
            "valid_share": round(len(verbatim) / len(citations), 3) if citations else None}


def language_match(texts: list[str], expected: list[str | None], main_lang: str) -> dict[str, Any]:
    """Shares of LLM-written texts in the run's main language, and in their own evidence's language."""
    from feedbackiq._lang import detect_language

    got = [detect_language(t) for t in texts]
    own = [(g, e) for g, e in zip(got, expected) if e in ("en", "zh")]
    return {"texts": len(texts), "by_language": dict(Counter(got)),
            "in_main_language": round(sum(g == main_lang for g in got) / len(got), 3) if got else None,
            "in_evidence_language": round(sum(g == e for g, e in own) / len(own), 3) if own else None}


def planted_truth(fs: Any) -> dict[str, str | None]:
    """The planted need of each item: the tests' join (survey, reviews, CRM), plus the Chinese survey's."""
    import csv

    from helpers import SAMPLES, truth_by_item

    truth = truth_by_item(fs)
    with (SAMPLES / "truth" / "survey_export_zh.csv").open(encoding="utf-8") as fh:
        zh = {(row["受访者ID"], row["column"]): row["theme"] for row in csv.DictReader(fh)}
    for it in fs.items:
        if it.origin and it.origin.file.rsplit("/", 1)[-1].startswith("survey_export_zh"):
            truth[it.id] = zh.get((it.respondent_id, it.metadata.get("question_column")))
    return truth


def name_agreement(report: Any, fs: Any, level: str = "themes", outcome: Any = None) -> dict[str, Any]:
    """How often a need's (``level="needs"``) or theme's name is nearest the planted need most of its items
    carry (LLM names vs keywords), and the duplicate names the model gave."""
    import numpy as np

    from feedbackiq.embed import make_embedder

    truth = planted_truth(fs)
    majority: dict[int, str] = {}
    per: dict[int, Counter] = {}
    for a in report.assignments:
        gid = a.need_id if level == "needs" else a.theme_id
        if gid is not None and truth.get(a.item_id):
            per.setdefault(gid, Counter())[truth[a.item_id]] += 1
    for gid, c in per.items():
        need, n = c.most_common(1)[0]
        if need in PLANTED and n >= 0.5 * sum(c.values()):
            majority[gid] = need
    groups = [g for g in (report.needs if level == "needs" else report.themes) if g.id in majority]
    emb = make_embedder("use")
    labels = list(PLANTED)

    def agree(names: list[str]) -> list[bool]:
        if not names:
            return []
        a = np.asarray(emb.embed(names), dtype=float)
        b = np.asarray(emb.embed([PLANTED[k] for k in labels]), dtype=float)
        a /= np.linalg.norm(a, axis=1, keepdims=True)
        b /= np.linalg.norm(b, axis=1, keepdims=True)
        nearest = (a @ b.T).argmax(axis=1)
        return [labels[j] == majority[g.id] for j, g in zip(nearest, groups)]

    llm_named = [g.label_source == "llm" for g in groups]
    by_llm = agree([g.name for g in groups])
    by_keywords = agree([" ".join(g.keywords[:3]) or g.name for g in groups])
    n_llm = sum(llm_named)
    agrees = sum(ok for ok, named in zip(by_llm, llm_named) if named)
    names = [g.name for g in (report.needs if level == "needs" else report.themes) if g.label_source == "llm"]
    fallbacks = dict(outcome.fallbacks) if outcome is not None else {}
    return {"groups_with_planted_need": len(groups), "llm_named": n_llm, "llm_name_agrees": agrees,
            "keywords_agree": sum(by_keywords),
            "llm_agree_share": round(agrees / n_llm, 3) if n_llm else None,
            "keywords_agree_share": round(sum(by_keywords) / len(groups), 3) if groups else None,
            "duplicate_names_given": sum(n for why, n in fallbacks.items() if why.startswith("same name as another")),
            "duplicate_llm_names": sum(n - 1 for n in Counter(s.casefold() for s in names).values() if n > 1)}


def print_report(r: dict[str, Any]) -> None:
    print(f"\n{r['items']} items, main language {r['main_language']}; {r['wall_minutes']} min wall; {r['note']}")
    print(f"endpoint: {r['endpoint']}")
    head = f"{'step':<17} {'calls':>5} {'ok':>4} {'failed':<34} {'claims kept/made':>16} {'cit.valid':>9} " \
           f"{'lang(main/own)':>14} {'in tok':>7} {'out tok':>7} {'LLM min':>7} {'stage min':>9}"
    print(head)
    for step, s in r["steps"].items():
        rep, cl, ci, la, lg = s["replies"], s["claims"], s["citations"], s["language"], s["log"]
        failed = ", ".join(f"{n} {why}" for why, n in rep["failed"].items()) or "-"
        claims = f"{cl['kept']}/{cl['made']} ({_pct(cl['kept_share'])})" if cl["kept"] is not None else "-"
        lang = f"{_pct(la['in_main_language'])}/{_pct(la['in_evidence_language'])}"
        print(f"{step:<17} {rep['calls']:>5} {rep['accepted']:>4} {failed[:34]:<34} {claims:>16} "
              f"{_pct(ci['valid_share']):>9} {lang:>14} {lg['input_tokens']:>7} {lg['output_tokens']:>7} "
              f"{lg['llm_minutes']:>7} {lg['stage_minutes']:>9}")
    print("\nclaims dropped by reason; outputs from the offline path by why")
    for step, s in r["steps"].items():
        cl = s["claims"]
        if cl["made"] or cl["fallbacks"]:
            print(f"  {step}: dropped {_counts(cl['dropped'])}; offline {sum(cl['fallbacks'].values())} of "
                  f"{cl['outputs']} ({_counts(cl['fallbacks'])})")
    for step in ("need names", "theme names"):
        if step not in r["steps"]:
            continue
        a, st = r["steps"][step]["names_vs_planted"], r["steps"][step]["statements"]
        print(f"{step} vs planted needs: LLM {a['llm_name_agrees']}/{a['llm_named']} ({_pct(a['llm_agree_share'])}), "
              f"keywords {a['keywords_agree']}/{a['groups_with_planted_need']} ({_pct(a['keywords_agree_share'])}); "
              f"duplicate names given {a['duplicate_names_given']}, left in the report {a['duplicate_llm_names']}")
        print(f"{step}: need statements unsupported {st['unsupported']} ({_counts(st['by_reason'])})")
    if "card matches" in r["steps"]:
        c = r["steps"]["card matches"]["confirmation"]
        print(f"card confirmation: {c['targets_confirmed']} targets, changes {_counts(c['changes'])}; "
              f"matches changed {c['matches_changed']}, verdicts flipped {c['verdicts_flipped']}"
              + "".join(f"\n  {f}" for f in c["flips"]))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {why}" for why, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if n) or "none"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


if __name__ == "__main__":
    main()
