"""Theme breakdowns from per-item columns equal counting item by item (the code they replaced)."""

from collections import Counter, defaultdict
from datetime import datetime, timezone

import numpy as np
import pytest

from feedbackiq._voice import rating_scales, sentiment_of, voice_of
from feedbackiq.themes._breakdowns import ItemColumns, segment_voices
from feedbackiq.types import FeedbackItem, Origin, SharedSegments, SourceKind


def item_by_item(members, scales):
    """The breakdowns as find_themes counted them before ItemColumns: one item at a time."""
    by_segment = defaultdict(lambda: defaultdict(set))
    for it in members:
        for col, val in it.segments.items():
            by_segment[col][val].add(voice_of(it))
    stars = [it.rating for it in members if it.rating is not None and it.source == SourceKind.REVIEW]
    deals = [it.deal_value for it in members if it.deal_value is not None and it.source == SourceKind.SALES_NOTE]
    voices = {voice_of(it) for it in members}
    return len(voices), {
        "by_segment": {col: {v: len(s) for v, s in sorted(vals.items())} for col, vals in by_segment.items()},
        "by_source": dict(Counter(it.source.value for it in members)),
        "by_sentiment": dict(Counter(sentiment_of(it, scales.get(it.origin.file if it.origin else "")) for it in members)),
        "by_period": dict(sorted(Counter(f"{it.created_at:%Y-%m}" for it in members if it.created_at).items())),
        "by_language": dict(Counter(it.language for it in members)),
        "mean_rating": float(np.mean(stars)) if stars else None,
        "deal_value": float(np.sum(deals)) if deals else None,
    }


def random_items(n, seed):
    rng = np.random.default_rng(seed)
    shared = [SharedSegments({"plan": "pro", "region": "EU"}), SharedSegments({"region": "US", "plan": "free"}),
              SharedSegments({}), SharedSegments({"size": "large"})]
    texts = ["sync is slow and broken", "love the new dashboard", "ok", "export fails every time", "great support thanks",
             "同步太慢了", "很好用", "price is fine"]
    items = []
    for i in range(n):
        kind = rng.choice(["review", "survey", "sales_note"])
        seg = shared[rng.integers(len(shared))] if rng.random() < 0.7 else {"plan": str(rng.choice(["pro", "team", ""])),
                                                                           **({"tier": "gold"} if rng.random() < 0.3 else {})}
        respondent = [None, None, "u1", "u2", "acct-9", "item:x3", "item:x999"][rng.integers(7)]
        item_id = f"x{i}" if rng.random() < 0.95 else "x0"    # a few repeated ids
        rating = None if rng.random() < 0.3 else float(rng.integers(0, 11 if i % 2 else 6))
        created = None if rng.random() < 0.2 else datetime(2025 + int(rng.integers(2)), int(rng.integers(1, 13)), 3,
                                                            tzinfo=timezone.utc if rng.random() < 0.5 else None)
        text = texts[rng.integers(len(texts))]
        items.append(FeedbackItem(
            id=item_id, text=text, source=kind, respondent_id=respondent, segments=seg, rating=rating, created_at=created,
            deal_value=None if rng.random() < 0.5 else float(rng.integers(1, 10_000)),
            origin=Origin(file=f"export{i % 2}.csv", row=i) if rng.random() < 0.9 else None))
    return items


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_breakdowns_equal_item_by_item_counts(seed):
    items = random_items(600, seed)
    scales = rating_scales(items)
    text_row = np.unique([it.text for it in items], return_inverse=True)[1]
    for text_rows in (None, text_row):
        cols = ItemColumns.from_items(items, scales, text_row=text_rows)
        rng = np.random.default_rng(seed)
        for size in (1, 7, 150, 600):
            idx = np.sort(rng.choice(len(items), size=size, replace=False))
            voices, expected = item_by_item([items[i] for i in idx], scales)
            got = cols.breakdowns(idx)
            assert cols.n_voices(idx) == voices
            assert got == expected
            # Key order too: the report and themes.json list them in this order.
            assert [list(got[k]) for k in ("by_source", "by_sentiment", "by_language", "by_period")] == \
                   [list(expected[k]) for k in ("by_source", "by_sentiment", "by_language", "by_period")]
            assert list(got["by_segment"]) == list(expected["by_segment"])
            assert [list(v) for v in got["by_segment"].values()] == [list(v) for v in expected["by_segment"].values()]


def test_respondent_spelled_like_an_items_own_voice_is_that_voice():
    items = [FeedbackItem(id="a", text="x", source="review"), FeedbackItem(id="b", text="y", source="review", respondent_id="item:a"),
             FeedbackItem(id="c", text="z", source="review", respondent_id="item:zz")]
    cols = ItemColumns.from_items(items, {})
    assert cols.n_voices(np.array([0, 1])) == 1
    assert cols.n_voices(np.array([1, 2])) == 2
    assert cols.n_voices(np.arange(3)) == 2


def test_empty_selection_has_no_breakdowns():
    items = random_items(20, 3)
    got = ItemColumns.from_items(items, rating_scales(items)).breakdowns(np.array([], dtype=int))
    assert got == {"by_segment": {}, "by_source": {}, "by_sentiment": {}, "by_period": {}, "by_language": {},
                   "mean_rating": None, "deal_value": None}


def test_quote_candidates_equal_a_stable_full_sort():
    from feedbackiq.themes._describe import _nearest

    rng = np.random.default_rng(0)
    for trial in range(200):
        n = int(rng.integers(1, 3000))
        rel = rng.integers(0, 20, size=n).astype(float) if trial % 2 else rng.normal(size=n)   # many ties / none
        rows = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
        k = int(rng.integers(1, 300))
        assert _nearest(rows, rel, k) == rows[np.argsort(-rel[rows], kind="stable")][:k].tolist()


@pytest.mark.parametrize("seed", [0, 1])
def test_segment_voices_equal_item_by_item_counts(seed):
    """The report's segment sizes: distinct voices per column and value over the whole set."""
    items = random_items(500, seed)
    expected = defaultdict(lambda: defaultdict(set))
    for it in items:
        for col, val in it.segments.items():
            expected[col][val].add(voice_of(it))
    got = segment_voices(items)
    assert got == {col: {v: len(s) for v, s in vals.items()} for col, vals in expected.items()}
    assert segment_voices([]) == {}
