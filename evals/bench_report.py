"""Speed and size of the HTML report at scale: project_2d and render_html on synthetic data.

    python evals/bench_report.py [--items 100000]

Prints seconds and the page size. Synthetic: random 512-d float32 vectors, 60 themes with 12 months,
3 segment columns, one item text of ~80 characters each (the map samples 4,000 of them).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

import numpy as np

import feedbackiq as fiq
from feedbackiq.report import project_2d, render_html


def synthetic_report(n: int, n_themes: int = 60, seed: int = 0) -> fiq.ThemeReport:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_themes, n)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    items = [fiq.FeedbackItem(id=f"i{k}", text=f"item {k}: the export keeps failing when the sheet is large",
                              source="survey", respondent_id=f"r{k % (n // 2 + 1)}", language="en",
                              created_at=datetime(2026, 1 + k % 12, 1),
                              segments={"plan": f"p{k % 4}", "region": f"r{k % 9}", "size": f"s{k % 5}"})
             for k in range(n)]
    themes = []
    for t in range(n_themes):
        idx = np.where(labels == t)[0]
        themes.append(fiq.Theme(
            id=t, name=f"theme {t}", keywords=["export", "sheet"], size=len(idx), respondents=len(idx),
            respondent_share=len(idx) / n, by_period={m: int(rng.integers(1, 50)) for m in months},
            by_segment={c: {f"{c[0]}{v}": int(rng.integers(1, 99)) for v in range(4)} for c in ("plan", "region", "size")},
            quotes=[fiq.Quote(item_id=items[i].id, text=items[i].text, source="survey") for i in idx[:5]]))
    return fiq.ThemeReport(themes=themes, n_items=n, n_respondents=n // 2,
                           assignments=[fiq.Assignment(item_id=f"i{k}", theme_id=int(labels[k]), probability=1.0)
                                        for k in range(n)], feedback=fiq.FeedbackSet(items=items))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=100_000)
    n = ap.parse_args().items
    vectors = np.random.default_rng(0).normal(size=(n, 512)).astype(np.float32)
    project_2d(vectors[:100])  # imports (sklearn) out of the timing
    t = time.perf_counter()
    xy = project_2d(vectors)
    print(f"project_2d {n:,} x 512: {time.perf_counter() - t:.2f} s")
    report = synthetic_report(n)
    coords = {f"i{k}": (float(x), float(y)) for k, (x, y) in enumerate(xy)}
    t = time.perf_counter()
    page = render_html(report, coords=coords)
    print(f"render_html {n:,} items, {len(report.themes)} themes: {time.perf_counter() - t:.2f} s, "
          f"{len(page.encode('utf-8')) / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
