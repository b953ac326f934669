"""The meaning checks of LLM claims, measured on the bundled samples' planted truth.

    .venv/bin/python evals/claim_checks.py [--draws 300] [--seed 0]

Needs are found on the samples; every item carries its planted need (``datasets/samples/truth``). Below are
need statements and need names written for each planted need, in English and in Chinese, as a model
would write them. Two checks of :mod:`feedbackiq.llm._meaning` are measured:

- **a statement is supported by its cited items**: the mean cosine (the report's embedder) between the
  statement and the items it cites. A model cites a few items; here three items drawn from the planted need
  the statement is about (supported) or from one other planted need (unsupported), ``--draws`` times per
  statement. Printed: the percentiles of both, and at each threshold the share of supported citations
  kept and of unsupported ones passed.
- **a name fits its own need**: the name's similarity to each need
  (:func:`feedbackiq.themes._similarity.need_similarities`): how far the best other need is above the
  need it was written for (negative: its own need is the nearest).

Also printed: the card targets of ``datasets/cards.yaml`` matched by meaning and their similarity (what a
"strong" match is for the LLM's card confirmation).
Under perturbed numerics (another machine): ``FEEDBACKIQ_TEST_PERTURB=1e-5 FEEDBACKIQ_TEST_PERTURB_SEED=1
PYTHONPATH=tests/perturb .venv/bin/python evals/claim_checks.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# planted need -> (statements, names), each in English and in Chinese
WRITTEN = {
    "battery": (["Field workers need a phone battery that lasts a whole shift so that they stay reachable",
                 "Users need the battery to stop draining after the update so that the phone lasts all day",
                 "一线员工需要电池能撑过一整个班次，这样才能随时联系得上"],
                ["Battery that lasts a shift", "Longer battery life", "更长的电池续航"]),
    "camera": (["Warehouse staff need sharp photos in low light so that receipts and labels can be read",
                "Users need night shots without noise so that pictures are usable",
                "仓库员工需要在光线暗时也能拍清楚，这样签收单才能看得清"],
               ["Clear photos in low light", "Better night camera", "弱光拍照清晰"]),
    "dialect": (["Field teams need voice input that understands Cantonese and other dialects so that they can use voice notes",
                 "Drivers need speech-to-text that handles strong accents so that they do not have to type",
                 "一线员工需要语音识别支持方言，这样才能用语音记笔记"],
                ["Dialect speech recognition", "Voice input for regional accents", "方言语音识别"]),
    "permissions": (["Finance teams need per-sheet permissions so that contractors cannot see every sheet",
                     "Admins need to restrict who edits a single sheet so that sensitive tabs stay locked",
                     "财务需要按工作表设置权限，这样外包人员就看不到所有表格"],
                    ["Per-sheet permissions", "Control who sees each sheet", "表格细粒度权限"]),
    "supply_chain_visibility": (["Purchasing, production and warehouse teams need a shared view of orders so that nobody waits on each other",
                                 "Small shops need to see what stock is arriving so that they stop wasting money on inventory",
                                 "各部门需要看到订单流转到哪一步，这样就不用互相等待"],
                                ["Shared view of the order flow", "Visibility of incoming stock", "跨部门订单可见"]),
    "support": (["Paying customers need support to answer within a day so that their work is not blocked",
                 "Users need to reach a human agent quickly so that urgent issues get solved",
                 "付费用户需要客服及时回复，这样业务才不会停下来"],
                ["Faster support replies", "Reach a human agent quickly", "更快的客服响应"]),
    "onboarding": (["New users need a clear getting-started guide so that they know where to begin after signing up",
                    "New hires need a simpler setup wizard so that they learn the basics in days, not weeks",
                    "新员工需要清楚的新手引导，这样注册后知道从哪里开始"],
                   ["Clear getting-started guide", "Simpler first-week setup", "更清楚的新手引导"]),
    "pricing": (["Small teams need a cheaper plan so that they can justify the cost",
                 "Small businesses need pricing that does not charge per seat so that a team of five can afford it",
                 "小公司需要更便宜的套餐，这样才用得起"],
                ["Affordable plan for small teams", "Pricing without per-seat fees", "更实惠的价格"]),
}
THRESHOLDS = (0.15, 0.20, 0.25, 0.30, 0.35)
MARGINS = (0.05, 0.10, 0.15)


def main() -> None:
    import numpy as np
    from helpers import SAMPLES, majority_truth_by_need, truth_by_item  # the planted truth, shared with the tests

    import feedbackiq as fiq
    from feedbackiq.themes._similarity import need_similarities, report_embedder

    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    fs = fiq.read_feedback(SAMPLES)
    report = fiq.find_themes(fs, seed=0)
    truth = {k: ("supply_chain_visibility" if v in ("supply_coord", "supply_cost") else v)
             for k, v in truth_by_item(fs, "theme").items()}
    by_need: dict[str, list[str]] = {}
    for it in fs.items:
        if truth.get(it.id) in WRITTEN:
            by_need.setdefault(truth[it.id], []).append(it.text)
    emb = report_embedder(report)
    print(f"{len(report.needs)} needs; embedder {emb.model_id}")
    texts = sorted({t for ts in by_need.values() for t in ts})
    row = {t: i for i, t in enumerate(texts)}
    X = emb.embed(texts)

    # -- statements and their cited items ------------------------------------------------------------------
    all_statements = [(need, s) for need, (statements, _) in WRITTEN.items() for s in statements]
    S = emb.embed([s for _, s in all_statements])
    for k in (1, 3):
        supported, unsupported = [], []
        for (need, _), s in zip(all_statements, S):
            own = np.array([row[t] for t in by_need[need]])
            others = [n for n in WRITTEN if n != need]
            for _ in range(args.draws):
                supported.append(float((X[rng.choice(own, k, replace=False)] @ s).mean()))
                other = np.array([row[t] for t in by_need[others[rng.integers(len(others))]]])
                unsupported.append(float((X[rng.choice(other, k, replace=False)] @ s).mean()))
        sup, uns = np.array(supported), np.array(unsupported)
        print(f"\nmean cosine of a statement to {k} cited item(s)")
        print("| cited items | p1 | p5 | median | p95 | p99 |\n|---|---:|---:|---:|---:|---:|")
        for label, v in (("of its need", sup), ("of another need", uns)):
            print(f"| {label} | " + " | ".join(f"{np.percentile(v, p):.3f}" for p in (1, 5, 50, 95, 99)) + " |")
        print("\n| threshold | supported kept | unsupported passed |\n|---:|---:|---:|")
        for t in THRESHOLDS:
            print(f"| {t:.2f} | {100 * (sup >= t).mean():.1f}% | {100 * (uns >= t).mean():.1f}% |")
    # The statement against the needs, as a name is judged: its own need nearest, or how far behind.
    planted_need = majority_truth_by_need(fs, report)
    cols = [("supply_chain_visibility" if planted_need.get(n.id) in ("supply_coord", "supply_cost")
             else planted_need.get(n.id)) for n in report.needs]
    ssims = need_similarities([s for _, s in all_statements], report, emb)
    sgap = np.array([max(r[j] for j, p in enumerate(cols) if p != need) - max(r[j] for j, p in enumerate(cols) if p == need)
                     for (need, _), r in zip(all_statements, ssims)])
    print(f"statements: best other need - own need: max {sgap.max():+.3f}, median {np.median(sgap):+.3f}")

    # -- names against the needs ----------------------------------------------------------------------------
    planted = majority_truth_by_need(fs, report)
    planted = {k: ("supply_chain_visibility" if v in ("supply_coord", "supply_cost") else v) for k, v in planted.items()}
    columns = [planted.get(n.id) for n in report.needs]
    names = [(need, name) for need, (_, ns) in WRITTEN.items() for name in ns]
    sims = need_similarities([n for _, n in names], report, emb)
    gaps = []
    print("\nname | own need | best other | gap (other - own)")
    for (need, name), s in zip(names, sims):
        own = max((s[j] for j, p in enumerate(columns) if p == need), default=float("nan"))
        other = max(s[j] for j, p in enumerate(columns) if p != need)
        gaps.append(other - own)
        print(f"{name} | {own:.3f} | {other:.3f} | {other - own:+.3f}")
    g = np.array(gaps)
    print(f"gap: max {g.max():+.3f}, median {np.median(g):+.3f}; own need nearest for {int((g < 0).sum())} of {len(g)}")
    # A name written for one need, given to another (the prompt's example name on an onboarding need).
    swapped = []
    for (need, name), s in zip(names, sims):
        own = max(s[j] for j, p in enumerate(columns) if p == need)
        for j, p in enumerate(columns):
            if p is not None and p != need:
                swapped.append(own - s[j])
    sw = np.array(swapped)
    print(f"a name on a need it was not written for: its own need nearer by min {sw.min():+.3f}, "
          f"p5 {np.percentile(sw, 5):+.3f}, median {np.median(sw):+.3f}")
    for margin in MARGINS:
        print(f"margin {margin:.2f}: right names rejected {int((g >= margin).sum())} of {len(g)}, "
              f"names on another need rejected {100 * (sw >= margin).mean():.1f}%")

    # -- card targets matched by meaning -----------------------------------------------------------------------
    from feedbackiq.cards._match import match_targets

    cards = fiq.load_cards(ROOT / "datasets" / "cards.yaml")
    targets = [t for c in cards.cards for t in c.targets]
    print("\ncard target | status | matched need similarity | runner-up")
    for t, m in zip(targets, match_targets(targets, report)):
        if m.method == "similarity":
            near = [f"{x.similarity:.3f}" for x in m.nearest]
            print(f"{t.label()} | {m.status} | {', '.join(near[:1])} | {', '.join(near[1:])}")
    print(Counter(columns))


if __name__ == "__main__":
    main()
