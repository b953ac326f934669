"""The need level of find_themes on synthetic data: needs group themes, praise is set apart, names are
readable and unique, ``n_needs`` steers the count, and a team's override file fixes the tree."""

import textwrap

import numpy as np
import pytest

import feedbackiq as fiq
from feedbackiq import ConfigError
from feedbackiq.embed import Embedder
from feedbackiq.themes._non_need import item_cues, non_need_kind
from feedbackiq.themes._overrides import load_need_overrides
from feedbackiq.types import FeedbackItem, FeedbackSet, NeedOverrides, SourceKind

# Three needs, each said two ways (two themes a need), plus praise; vectors: a need's direction plus
# its phrasing's, so phrasings of one need are nearer each other than to other needs.
PHRASINGS = {
    "battery": ["the battery drains in two hours {i}", "phone dies before lunch every day {i}"],
    "pricing": ["the plan is too expensive for a small team {i}", "we cannot afford the per-seat price {i}"],
    "support": ["support takes days to answer tickets {i}", "nobody replies to our support emails {i}"],
    "praise": ["great app, love it {i}", "thanks, keep up the good work {i}"],
}
DIM = 32


class _Vectors(Embedder):
    model_id, dim, batch_size = "synthetic-needs", DIM, 1000

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def embed_batch(self, texts):
        return np.stack([self.vectors[t] for t in texts])


def _set(per_phrasing: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    items, vectors = [], {}
    for n, (need, phrasings) in enumerate(PHRASINGS.items()):
        for p, template in enumerate(phrasings):
            direction = 2.0 * np.eye(DIM)[n] + 0.8 * np.eye(DIM)[8 + 2 * n + p]
            for i in range(per_phrasing):
                text = template.format(i=i)
                v = direction + rng.normal(0, 0.12, DIM)
                vectors[text] = (v / np.linalg.norm(v)).astype(np.float32)
                items.append(FeedbackItem(id=f"{need}{p}-{i}", text=text, source=SourceKind.SURVEY,
                                          respondent_id=f"r{need}{p}{i}", language="en",
                                          rating=5 if need == "praise" else None))
    return FeedbackSet(items=items), _Vectors(vectors)


@pytest.fixture(scope="module")
def synthetic():
    fs, emb = _set()
    return fs, emb, fiq.find_themes(fs, embedder=emb, seed=0, subthemes=False)


def _need_of(report, prefix: str) -> set:
    return {a.need_id for a in report.assignments if a.item_id.startswith(prefix) and a.theme_id >= 0}


def test_phrasings_of_a_need_are_one_need_and_praise_is_apart(synthetic):
    fs, _, rep = synthetic
    for need in ("battery", "pricing", "support"):
        assert len(_need_of(rep, need)) == 1, need
    assert len({next(iter(_need_of(rep, n))) for n in ("battery", "pricing", "support")}) == 3
    assert [n.kind for n in rep.non_needs] == ["praise"] and _need_of(rep, "praise") == {rep.non_needs[0].id}
    assert all(n.kind == "need" for n in rep.needs) and len(rep.needs) == 3
    assert {t.need_id for t in rep.themes} == {n.id for n in (*rep.needs, *rep.non_needs)}
    names = [n.name for n in (*rep.needs, *rep.non_needs)]
    assert len(set(names)) == len(names) and all(len(n.split()) <= 12 for n in names)
    # each name is a sentence from its own need's texts
    for n in rep.needs:
        texts = [it.text.casefold() for it in fs.items if a_need(rep, it.id) == n.id]
        assert any(n.name.casefold() in t for t in texts), n.name


def a_need(report, item_id):
    return next(a.need_id for a in report.assignments if a.item_id == item_id)


def test_n_needs_forces_the_count(synthetic):
    fs, emb, _ = synthetic
    rep = fiq.find_themes(fs, embedder=emb, seed=0, subthemes=False, n_needs=2)
    assert len(rep.needs) + len(rep.non_needs) == 2


def test_needs_round_trip_and_tables(synthetic, tmp_path):
    _, _, rep = synthetic
    back = fiq.ThemeReport.from_json(rep.to_json())
    assert back.needs == rep.needs and back.non_needs == rep.non_needs
    df = rep.needs_to_pandas()
    assert list(df["need_id"]) == [n.id for n in (*rep.needs, *rep.non_needs)] and set(df["kind"]) == {"need", "praise"}
    assert rep.assignments_to_pandas()["need_id"].notna().sum() == sum(a.need_id is not None for a in rep.assignments)
    paths = fiq.themes.write_theme_report(rep, tmp_path)
    md = paths["markdown"].read_text(encoding="utf-8")
    assert md.startswith("# Customer needs") and "Not a need (praise and small talk)" in md
    assert paths["needs"].read_text(encoding="utf-8-sig").splitlines()[0].startswith("need_id,kind,name")


def test_override_file_merges_splits_moves_and_renames(synthetic, tmp_path):
    fs, emb, rep = synthetic
    battery, pricing = next(iter(_need_of(rep, "battery"))), next(iter(_need_of(rep, "pricing")))
    support_theme = next(a.theme_id for a in rep.assignments if a.item_id == "support1-0")
    path = tmp_path / "needs.yaml"
    path.write_text(textwrap.dedent(f"""\
        merge:
          - needs: [{{item: battery0-1}}, {{name: "{rep.need(pricing).name}"}}]
            name: Cost of ownership
        split:
          - theme: {{item: support1-0}}
            name: Unanswered emails
        rename:
          - need: {{item: praise0-0}}
            kind: need
            name: Happy customers
          - need: {{item: gone-1}}
            name: stale
        """), encoding="utf-8")
    out = fiq.find_themes(fs, embedder=emb, seed=0, subthemes=False, overrides=path)
    by_name = {n.name: n for n in out.needs}
    assert set(by_name) >= {"Cost of ownership", "Unanswered emails", "Happy customers"} and not out.non_needs
    assert _need_of(out, "battery") == _need_of(out, "pricing") == {by_name["Cost of ownership"].id}
    assert by_name["Unanswered emails"].theme_ids == [support_theme]
    assert by_name["Happy customers"].label_source == "override"
    assert any("stale" not in n and "gone-1" in n and "not in this run" in n for n in out.override_notes)
    # what the team placed is recorded: an LLM regrouping leaves those themes where they are
    assert support_theme in out.parameters["themes_fixed_by_overrides"]
    # a move by this run's ids
    moved = fiq.find_themes(fs, embedder=emb, seed=0, subthemes=False, overrides=NeedOverrides.model_validate(
        {"move": [{"theme": {"item": "support0-0"}, "to": {"id": battery}}]}))
    assert next(iter(_need_of(moved, "support0"))) == next(iter(_need_of(moved, "battery")))


@pytest.mark.parametrize("text, message", [
    ("merge:\n  - needs: [{item: a}]\n", "merge.0.needs"),
    ("rename:\n  - need: {item: a, id: 2}\n    name: x\n", "exactly one of item, id or name"),
    ("split:\n  - theme: {id: 1}\n  - thme: {id: 2}\n", "line 3"),
    ("renames: []\n", "renames"),
])
def test_bad_override_files_name_the_file_entry_and_line(tmp_path, text, message):
    path = tmp_path / "needs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_need_overrides(path)
    assert message in str(err.value) and "needs.yaml" in str(err.value)


@pytest.mark.parametrize("texts, kind", [
    (["Great app overall, keep it up!", "Love the new dark mode", "谢谢你们的调查", "Nice design", "good"], "praise"),
    (["整体挺好的", "很好用", "继续加油", "挺满意的"], "praise"),
    (["Love it but the battery dies by noon", "great phone, please fix the camera", "好用但是太贵"], None),
    (["the export button is missing", "we need a dark mode", "希望能按列设置只读"], None),
])
def test_praise_is_told_from_needs_in_both_languages(texts, kind):
    assert non_need_kind(texts) == kind


def test_high_ratings_without_problems_are_praise():
    assert non_need_kind(["works for me", "does the job", "as expected"], ratings=[5, 5, 4]) == "praise"
    assert non_need_kind(["works for me", "does the job", "as expected"], ratings=[2, 3, None]) is None
    assert item_cues("Thanks! But sync fails every morning") == (True, True)
