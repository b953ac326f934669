"""Speed and size of the HTML report at scale: project_2d and render_html on synthetic data.

    python evals/bench_report.py [--items 100000]

Prints seconds and the page size. Synthetic: random 512-d float32 vectors; 60 themes grouped into 14
needs of 4 themes plus one praise group; 12 months; survey answers (0-10 scores), reviews (stars) and
sales notes (deal values, open/lost, a share in CNY); 3 segment columns; one item text of ~80
characters each (the map samples 4,000 of them). The page carries the filter's numbers for every
option (3 sources, 3 x 4-9 segment values, 4 quarters).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

import numpy as np

import feedbackiq as fiq
from feedbackiq.report import project_2d, render_html

SOURCES = ("survey", "review", "sales_note")


def _item(k: int, rng_value: float) -> fiq.FeedbackItem:
    source = SOURCES[k % 3]
    extra = {}
    if source == "survey":
        extra["rating"] = float(k % 11)
    elif source == "review":
        extra["rating"] = float(1 + k % 5)
    else:
        extra.update(deal_value=1000.0 * (1 + k % 50), deal_stage=("open", "lost", "won")[k % 3],
                     metadata={"deal_currency": "CNY"} if k % 7 == 0 else {})
    return fiq.FeedbackItem(id=f"i{k}", text=f"item {k}: the export keeps failing when the sheet is large",
                            source=source, respondent_id=f"r{int(rng_value)}", language="en",
                            created_at=datetime(2026, 1 + k % 12, 1), origin=fiq.Origin(file=f"{source}.csv", row=k + 2),
                            segments={"plan": f"p{k % 4}", "region": f"r{k % 9}", "size": f"s{k % 5}"}, **extra)


def synthetic_report(n: int, n_themes: int = 60, seed: int = 0) -> fiq.ThemeReport:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_themes, n)
    voices = rng.integers(0, n // 2 + 1, n)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    items = [_item(k, voices[k]) for k in range(n)]
    need_of = {t: t // 4 for t in range(n_themes)}   # the last 4 themes: praise (need id 14)
    themes, members = [], {}
    for t in range(n_themes):
        idx = np.where(labels == t)[0]
        members[t] = idx
        themes.append(fiq.Theme(
            id=t, name=f"theme {t}", keywords=["export", "sheet"], size=len(idx), respondents=len(idx),
            respondent_share=len(idx) / n, by_period={m: int(rng.integers(1, 50)) for m in months}, need_id=need_of[t],
            by_segment={c: {f"{c[0]}{v}": int(rng.integers(1, 99)) for v in range(4)} for c in ("plan", "region", "size")},
            quotes=[fiq.Quote(item_id=items[i].id, text=items[i].text, source=items[i].source.value) for i in idx[:5]]))
    needs = []
    for g in range(n_themes // 4):
        ids = [t for t in range(n_themes) if need_of[t] == g]
        size = sum(len(members[t]) for t in ids)
        needs.append(fiq.Need(id=g, name=f"need {g}: exports of large sheets fail", theme_ids=ids, size=size,
                              respondents=size, respondent_share=size / n, kind="praise" if g == n_themes // 4 - 1 else "need",
                              quotes=themes[ids[0]].quotes[:3]))
    assignments = [fiq.Assignment(item_id=f"i{k}", theme_id=int(labels[k]), probability=1.0, need_id=need_of[int(labels[k])])
                   for k in range(n)]
    return fiq.ThemeReport(themes=themes, needs=needs[:-1], non_needs=needs[-1:], n_items=n, n_respondents=n // 2,
                           assignments=assignments, feedback=fiq.FeedbackSet(items=items))


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
    render_html(report)  # warm-up: imports out of the timing
    t = time.perf_counter()
    page = render_html(report, coords=coords, currency="USD")
    data = page[page.index('id="report-data">'):page.index("</script>", page.index('id="report-data">'))]
    print(f"render_html {n:,} items, {len(report.needs)} needs, {len(report.themes)} themes: "
          f"{time.perf_counter() - t:.2f} s, {len(page.encode('utf-8')) / 1e6:.2f} MB "
          f"(filter data {len(data.encode('utf-8')) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
