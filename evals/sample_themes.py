"""Planted-need recovery on the bundled bilingual samples, with and without the cross-language merge.

    .venv/bin/python evals/sample_themes.py

Prints themes found, NMI / ARI against the planted needs (survey, review and CRM items with a planted
need; noise excluded) and purity (share of those items in a theme whose majority need is their own).
The public eval sets are monolingual, so the cross-language merge cannot change them; this is where it acts.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from helpers import SAMPLES, truth_by_item  # the planted truth, shared with the tests
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    import feedbackiq as fiq

    fs = fiq.read_feedback(SAMPLES)
    truth = truth_by_item(fs)
    print(f"{'cross_group_merge':>18} {'themes':>6} {'NMI':>5} {'ARI':>5} {'purity':>6}")
    for threshold in (None, 0.6, 0.55, 0.5):
        report = fiq.find_themes(fs, clusterer=fiq.ThemeClusterer(cross_group_merge=threshold))
        theme = {a.item_id: a.theme_id for a in report.assignments}
        ids = [i for i in theme if truth.get(i) and truth[i] != "noise"]
        y, labels = [truth[i] for i in ids], [theme[i] for i in ids]
        per: dict[int, Counter] = {}
        for i in ids:
            per.setdefault(theme[i], Counter())[truth[i]] += 1
        purity = sum(c.most_common(1)[0][1] for c in per.values()) / len(ids)
        print(f"{str(threshold):>18} {len(report.themes):>6} {100 * normalized_mutual_info_score(y, labels):5.1f} "
              f"{100 * adjusted_rand_score(y, labels):5.1f} {purity:6.3f}")


if __name__ == "__main__":
    main()
