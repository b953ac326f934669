"""The LLM steps against a real model: the bundled samples through ``feedbackiq.run`` with an LLM.

    make local-llm-start                     # llama-server + Qwen2.5-Coder-1.5B on 127.0.0.1:8080 (README)
    nice .venv/bin/python evals/llm_eval.py  # or: make eval-llm (sets up and starts the server too)
    .venv/bin/python evals/llm_eval.py --base-url https://api.openai.com/v1 --model gpt-4o-mini   # any endpoint

Not part of the test suite (30-60 minutes against a 1.5B model on 2 cores). Runs
``datasets/samples/ --by company_size --features datasets/features.yaml --cards datasets/cards.yaml`` into
``--out`` and prints, per LLM step (theme names, persona drafts, feature messages, card matches):

- replies: calls, accepted, failed by reason (the run's ``LLMOutcome``);
- claims: kept, and dropped by reason. Until claims are validated one by one, a reply is kept or dropped
  whole, so "dropped" counts the claims a step reports dropping (``claims_dropped``, ``dropped_citations``)
  under one reason; :func:`claim_counts` is where per-claim reasons will be read;
- citations: the cited items' share that exist and whose quote is in the item's text (normalised whitespace);
- language: the share of LLM-written texts in the run's main language, and in their evidence's language;
- names vs planted needs (theme names only): the share of themes with a planted need whose LLM name is
  nearer (multilingual USE embedding) to that need's description than to any other planted need; the same
  for the themes' top-3 keywords as the offline baseline;
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
STEPS = {"name_theme": ("names", "theme names"), "draft_persona": ("personas", "persona drafts"),
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
    langs = {it.id: it.language for it in fs.items}
    main_lang = Counter(it.language for it in fs.items if it.language in ("en", "zh")).most_common(1)[0][0]
    outcomes = {o.step: o for o in result.llm_outcomes}
    stage_seconds = {s.stage: s.seconds for s in result.manifest.stages}
    log = call_log(result.run_dir / "llm.sqlite", since)
    outputs = step_outputs(result)
    steps = {}
    for prompt, (stage, step) in STEPS.items():
        o = outcomes.get(step)
        rows = [r for r in log if r["prompt"] == prompt]
        texts_written, citations, expected_langs = outputs.get(step, ([], [], []))
        steps[step] = {
            "replies": {"calls": o.calls if o else 0, "accepted": o.succeeded if o else 0,
                        "failed": dict(o.failed) if o else {}, "not_run": o.not_run if o else 0,
                        "withheld": o.withheld if o else 0},
            "claims": claim_counts(result, step),
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
    steps["theme names"]["names_vs_planted"] = name_agreement(result.report, fs, langs)
    return {"items": len(fs.items), "main_language": main_lang, "steps": steps,
            "note": "before per-claim validation: a reply is kept or dropped whole"}


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
    named = [t for t in result.report.themes if t.label_source == "llm"]
    texts, expected = [], []
    for t in named:
        own = max(t.by_language, key=t.by_language.get) if t.by_language else None
        for s in (t.name, t.need_statement):
            if s:
                texts.append(s)
                expected.append(own)
    out["theme names"] = (texts, [c for t in named for c in t.need_citations], expected)
    drafted = [p for p in (result.personas.personas if result.personas else []) if p.source == "llm"]
    claims = [c for p in drafted for c in (*p.pains, *p.goals, *p.objections, *p.buying_triggers)]
    texts = [s for p in drafted for s in (p.label, p.summary)] + [c.text for c in claims]
    out["persona drafts"] = (texts, [x for c in claims for x in c.citations], [None] * len(texts))
    messages = [m for t in (result.translations or []) for m in t.messages if m.source == "llm"]
    claims = [c for m in messages for c in (*m.proof_points, *m.objection_handling)]
    texts = [s for m in messages for s in (m.headline, m.value_proposition) if s] + [c.text for c in claims]
    out["feature messages"] = (texts, [x for c in claims for x in c.citations], [None] * len(texts))
    return out


def claim_counts(result: Any, step: str) -> dict[str, Any]:
    """Claims kept (in LLM-written outputs; an extractive fallback's quotes are not claims) and dropped by
    reason. Reads ``dropped_claims`` (a list with a ``reason`` each) where an output has it; until then the
    step's own dropped counts, under one reason."""
    def tally(objs: list[Any], kept_of, dropped_attr: str) -> dict[str, Any]:
        kept, dropped = 0, Counter()
        for o in objs:
            kept += kept_of(o)
            per_claim = getattr(o, "dropped_claims", None)
            if per_claim is not None:
                dropped.update(getattr(d, "reason", None) or d.get("reason", "unknown") for d in per_claim)
            elif getattr(o, dropped_attr, 0):
                dropped["whole reply check (before per-claim validation)"] += getattr(o, dropped_attr)
        total = kept + sum(dropped.values())
        return {"kept": kept, "dropped": dict(dropped), "kept_share": round(kept / total, 3) if total else None}

    if step == "theme names":
        return tally(result.report.themes, lambda t: len(t.need_citations) if t.label_source == "llm" else 0,
                     "dropped_citations")
    if step == "persona drafts":
        personas = result.personas.personas if result.personas else []
        return tally(personas, lambda p: (len(p.pains) + len(p.goals) + len(p.objections) + len(p.buying_triggers)
                                          if p.source == "llm" else 0), "claims_dropped")
    if step == "feature messages":
        messages = [m for t in (result.translations or []) for m in t.messages]
        return tally(messages, lambda m: len(m.proof_points) + len(m.objection_handling) if m.source == "llm" else 0,
                     "claims_dropped")
    return {"kept": None, "dropped": {}, "kept_share": None}


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

    from conftest import SAMPLES, truth_by_item

    truth = truth_by_item(fs)
    with (SAMPLES / "truth" / "survey_export_zh.csv").open(encoding="utf-8") as fh:
        zh = {(row["受访者ID"], row["column"]): row["theme"] for row in csv.DictReader(fh)}
    for it in fs.items:
        if it.origin and it.origin.file.rsplit("/", 1)[-1].startswith("survey_export_zh"):
            truth[it.id] = zh.get((it.respondent_id, it.metadata.get("question_column")))
    return truth


def name_agreement(report: Any, fs: Any, langs: dict[str, str]) -> dict[str, Any]:
    """How often a theme's name is nearest the planted need most of its items carry (LLM names vs keywords)."""
    import numpy as np

    from feedbackiq.embed import make_embedder

    truth = planted_truth(fs)
    majority: dict[int, str] = {}
    per: dict[int, Counter] = {}
    for a in report.assignments:
        if truth.get(a.item_id):
            per.setdefault(a.theme_id, Counter())[truth[a.item_id]] += 1
    for tid, c in per.items():
        need, n = c.most_common(1)[0]
        if need in PLANTED and n >= 0.5 * sum(c.values()):
            majority[tid] = need
    themes = [t for t in report.themes if t.id in majority]
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
        return [labels[j] == majority[t.id] for j, t in zip(nearest, themes)]

    llm_named = [t.label_source == "llm" for t in themes]
    by_llm = agree([t.name for t in themes])
    by_keywords = agree([" ".join(t.keywords[:3]) or t.name for t in themes])
    n_llm = sum(llm_named)
    names = [t.name for t in report.themes if t.label_source == "llm"]
    return {"themes_with_planted_need": len(themes), "llm_named": n_llm,
            "llm_name_agrees": sum(ok for ok, named in zip(by_llm, llm_named) if named),
            "keywords_agree": sum(by_keywords),
            "llm_agree_share": round(sum(ok for ok, named in zip(by_llm, llm_named) if named) / n_llm, 3) if n_llm else None,
            "keywords_agree_share": round(sum(by_keywords) / len(themes), 3) if themes else None,
            "duplicate_llm_names": sum(n - 1 for n in Counter(s.casefold() for s in names).values() if n > 1)}


def print_report(r: dict[str, Any]) -> None:
    print(f"\n{r['items']} items, main language {r['main_language']}; {r['wall_minutes']} min wall; {r['note']}")
    print(f"endpoint: {r['endpoint']}")
    head = f"{'step':<17} {'calls':>5} {'ok':>4} {'failed':<34} {'claims kept/dropped':>19} {'cit.valid':>9} " \
           f"{'lang(main/own)':>14} {'in tok':>7} {'out tok':>7} {'LLM min':>7} {'stage min':>9}"
    print(head)
    for step, s in r["steps"].items():
        rep, cl, ci, la, lg = s["replies"], s["claims"], s["citations"], s["language"], s["log"]
        failed = ", ".join(f"{n} {why}" for why, n in rep["failed"].items()) or "-"
        dropped = sum(cl["dropped"].values()) if cl["kept"] is not None else None
        claims = f"{cl['kept']}/{dropped}" if cl["kept"] is not None else "-"
        lang = f"{_pct(la['in_main_language'])}/{_pct(la['in_evidence_language'])}"
        print(f"{step:<17} {rep['calls']:>5} {rep['accepted']:>4} {failed[:34]:<34} {claims:>19} "
              f"{_pct(ci['valid_share']):>9} {lang:>14} {lg['input_tokens']:>7} {lg['output_tokens']:>7} "
              f"{lg['llm_minutes']:>7} {lg['stage_minutes']:>9}")
    a = r["steps"]["theme names"]["names_vs_planted"]
    print(f"names vs planted needs: LLM {a['llm_name_agrees']}/{a['llm_named']} ({_pct(a['llm_agree_share'])}), "
          f"keywords {a['keywords_agree']}/{a['themes_with_planted_need']} ({_pct(a['keywords_agree_share'])}); "
          f"duplicate LLM names {a['duplicate_llm_names']}")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


if __name__ == "__main__":
    main()
