"""KPI-card matching by meaning on the bundled samples: how close a target's ``need`` text comes to the
need it means, and to the nearest need when nobody voiced it.

    .venv/bin/python evals/card_matching.py [--english-only]

Themes and needs are found on the samples (``--english-only``: their English items, which the MiniLM
model embeds); each text below is matched with :func:`feedbackiq.themes._similarity.need_similarities`.
A text with a planted need is right when its best need's planted majority is that need. Prints every
text's best and runner-up, then the statuses :mod:`feedbackiq.cards._match` would give at a few thresholds.
Under perturbed numerics (another machine): ``FEEDBACKIQ_TEST_PERTURB=1e-5 FEEDBACKIQ_TEST_PERTURB_SEED=1
PYTHONPATH=tests/perturb .venv/bin/python evals/card_matching.py``.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# (text, planted need or None); the first ten are the need texts of datasets/cards.yaml
TEXTS = [
    ("permissions: control who can see and edit each sheet", "permissions"),
    ("purchasing, production and the warehouse cannot see each other's orders and stock", "supply_chain_visibility"),
    ("电池续航太短，一天都撑不住", "battery"),
    ("photos in low light are blurry and grainy", "camera"),
    ("新用户不知道从哪里开始 / new users do not know where to start", "onboarding"),
    ("a companion app for smartwatches", None),
    ("battery drains fast and the phone does not last a day", "battery"),
    ("要求退款或退货", None),
    ("support takes days to answer", "support"),
    ("价格太贵，考虑换别家", "pricing"),
    ("voice notes do not understand dialects and accents", "dialect"), ("方言识别", "dialect"),
    ("speech recognition for regional accents", "dialect"),
    ("supply-chain visibility across departments", "supply_chain_visibility"),
    ("inventory costs and stock levels", "supply_chain_visibility"),
    ("各部门之间库存和订单信息不透明", "supply_chain_visibility"),
    ("the price is too high for small teams", "pricing"), ("a cheaper plan for small businesses", "pricing"),
    ("customer service is slow to respond", "support"), ("客服回复太慢", "support"),
    ("night photos are bad", "camera"), ("拍照不清楚，特别是晚上", "camera"),
    ("onboarding is hard", "onboarding"), ("the setup is confusing for new hires", "onboarding"),
    ("sheet-level access control", "permissions"), ("表格权限管理", "permissions"),
    ("battery life", "battery"), ("手机发烫耗电快", "battery"),
    ("dark mode", None), ("export reports to PDF", None), ("integration with Salesforce", None),
    ("offline mode without network", None), ("two-factor login", None), ("bigger screen size", None),
    ("希望支持智能手表", None), ("更多的颜色选择", None), ("the app crashes when uploading files", None),
    ("more languages in the interface", None), ("a calendar view for shifts", None), ("发票开具", None),
]


def main() -> None:
    import numpy as np
    from helpers import SAMPLES, majority_truth_by_need  # the planted truth, shared with the tests

    import feedbackiq as fiq
    from feedbackiq._lang import has_cjk
    from feedbackiq.cards._match import AMBIGUOUS_MARGIN, TIE_MARGIN
    from feedbackiq.themes._similarity import need_similarities

    english = "--english-only" in sys.argv
    fs = fiq.read_feedback(SAMPLES)
    if english:
        fs.items = [it for it in fs.items if it.language == "en"]
    report = fiq.find_themes(fs, seed=0)
    truth = majority_truth_by_need(fs, report, "theme")
    texts = [(t, p) for t, p in TEXTS if not (english and has_cjk(t))]
    sims = need_similarities([t for t, _ in texts], report)
    print(f"{len(report.needs)} needs, model {report.model_ids.get('embedding')}")
    rows = []
    for (text, planted), s in zip(texts, sims):
        best, second = np.argsort(-s)[:2]
        got = truth.get(report.needs[best].id)
        rows.append((planted, float(s[best]), float(s[second]), got))
        print(f"{text[:44]:44} {str(planted):24} best {s[best]:.3f} {got:24} 2nd {s[second]:.3f}")
    for threshold in (0.30, 0.35, 0.40, 0.45):
        counts: Counter = Counter()
        for planted, best, second, got in rows:
            status = ("matched" if best - second > TIE_MARGIN else "ambiguous") if best >= threshold else \
                "ambiguous" if best >= threshold - AMBIGUOUS_MARGIN else "unmatched"
            if status == "matched" and planted is not None and got != planted:
                status = "wrong need"
            counts["planted " if planted else "nobody's ", status] += 1
        print(f"threshold {threshold:.2f}: " + ", ".join(f"{k[0]}{k[1]} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
