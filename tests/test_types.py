"""The data model's compact forms (ledger entries in columns, shared segments, trusted construction)
behave like the models they stand for."""

import copy
import json
import pickle

import pytest

import feedbackiq as fiq
from feedbackiq.types import FeedbackSet, Ledger, LedgerEntries, LedgerEntry, SharedSegments, SkipReason


def _entries() -> list[LedgerEntry]:
    return [
        LedgerEntry(file="a.csv", row=2, outcome="item", item_id="f1"),
        LedgerEntry(file="a.csv", row=3, column="Q1", outcome="skipped", reason=SkipReason.EMPTY),
        LedgerEntry(file="b.csv", row=2, outcome="item", item_id="f2", detail="rating: 'x' is not a rating"),
        LedgerEntry(file="b.csv", row=4, outcome="skipped"),
    ]


def test_ledger_entries_read_back_exactly_what_was_added():
    entries = LedgerEntries(_entries())
    assert list(entries) == _entries()
    assert entries[-1] == _entries()[-1] and entries[1:3] == _entries()[1:3]
    assert entries == _entries() and len(entries) == 4
    with pytest.raises(IndexError):
        entries[4]
    with pytest.raises(ValueError, match="outcome"):
        entries.add("a.csv", 5, None, "used", None, None, None)


def test_ledger_round_trips_through_json_and_pickle():
    ledger = Ledger(files=[], entries=_entries())
    assert isinstance(ledger.entries, LedgerEntries)
    back = Ledger.model_validate_json(ledger.model_dump_json())
    assert back == ledger and list(back.entries) == _entries()
    assert ledger.model_dump()["entries"][2]["detail"] == "rating: 'x' is not a rating"
    assert list(pickle.loads(pickle.dumps(ledger)).entries) == _entries()
    assert list(copy.deepcopy(ledger).entries) == _entries()
    assert ledger.skip_reasons() == {"empty": 1}


def test_ingest_ledger_accounts_for_every_row_after_a_json_round_trip():
    fs = fiq.read_feedback("datasets/samples/")
    back = FeedbackSet.model_validate_json(fs.model_dump_json())
    assert back.ledger.row_counts() == fs.ledger.row_counts()
    for counts in fs.ledger.row_counts().values():
        assert counts["rows_used"] + counts["rows_skipped"] == counts["rows"] and counts["rows_unaccounted"] == 0


def test_items_share_read_only_segments():
    fs = fiq.read_feedback("datasets/samples/survey_export.csv")
    with_segments = [it for it in fs.items if it.segments]
    assert with_segments and isinstance(with_segments[0].segments, SharedSegments)
    assert len({id(it.segments) for it in with_segments}) < len(with_segments) / 5
    item = with_segments[0]
    sharing = [it for it in with_segments[1:] if it.segments is item.segments]
    assert sharing
    with pytest.raises(TypeError, match="assign a new dict"):
        item.segments["plan"] = "x"
    before = dict(item.segments)
    item.segments = {**item.segments, "plan": "x"}          # the documented way to change one item
    assert item.segments["plan"] == "x" and all(dict(it.segments) == before for it in sharing)
    assert pickle.loads(pickle.dumps(item)).segments == item.segments


@pytest.mark.parametrize("cls, values", [
    ("FeedbackItem", {"id": "f1", "text": "电池不耐用", "source": fiq.SourceKind.REVIEW, "question": None,
                      "respondent_id": "u1", "segments": SharedSegments({"plan": "pro"}), "created_at": None,
                      "rating": 2.0, "language": "zh", "deal_value": None, "deal_stage": None,
                      "metadata": {"source_id": "r1"}, "origin": None}),
    ("Origin", {"file": "a.csv", "row": 2, "column": "review"}),
    ("Assignment", {"item_id": "f1", "theme_id": 3, "probability": 0.75, "subtheme_id": None, "need_id": 2}),
    ("LedgerEntry", {"file": "a.csv", "row": 3, "column": "Q1", "outcome": "skipped", "item_id": None,
                     "reason": SkipReason.EMPTY, "detail": None}),
])
def test_construct_trusted_builds_what_model_construct_builds(cls, values):
    from feedbackiq.types import construct_trusted

    model = getattr(fiq.types, cls)
    assert list(values) == list(model.model_fields)               # every field, in field order
    assert not model.__pydantic_post_init__ and not model.__private_attributes__
    fast = construct_trusted(model, set(model.model_fields), dict(values))
    slow = model.model_construct(set(model.model_fields), **values)
    assert fast == slow and repr(fast) == repr(slow)
    assert fast.model_dump_json() == slow.model_dump_json()
    assert model.model_validate_json(fast.model_dump_json()) == fast
    assert fast.model_fields_set == slow.model_fields_set and fast.__pydantic_extra__ is slow.__pydantic_extra__


def _results():
    """A small persona set, scorecard, feedback set and feature translation, with Chinese text and nested models."""
    from datetime import date

    from feedbackiq.types import (CardScores, Claim, Feature, FeatureTranslation, FeedbackItem, Persona, PersonaNeed,
                                  PersonaSet, SegmentMessage)

    claim = Claim(text="同步太慢", citations=[fiq.Citation(item_id="r1", quote="同步太慢")])
    personas = PersonaSet(mode="segment", by="company_size", input_hash="abc", personas=[
        Persona(id=0, label="company_size: 1000人以上", summary="Big teams", segment={"company_size": "1000人以上"},
                respondents=3, items=4, top_needs=[PersonaNeed(need_id=2, need_name="Faster sync", respondents=2, share=0.5,
                                                             overall_share=0.25, lift=2.0)],
                pains=[claim])])
    scores = CardScores(as_of=date(2026, 3, 1), parameters={"min_respondents": 3})
    feedback = FeedbackSet(items=[FeedbackItem(id="r1", text="同步太慢，经常崩", source="survey", segments={"plan": "Pro"})])
    translations = [FeatureTranslation(feature=Feature(name="Offline sync", description="Sync without a network"),
                                       messages=[SegmentMessage(persona="company_size: 1000人以上", proof_points=[claim])])]
    return personas, scores, feedback, translations


def test_results_round_trip_through_to_json_and_their_write_and_load_functions(tmp_path):
    personas, scores, feedback, translations = _results()
    for result in (personas, scores, feedback):
        cls = type(result)
        assert cls.from_json(result.to_json()) == result
        path = tmp_path / f"{cls.__name__}.json"
        assert result.to_json(path) is None and cls.from_json(path) == result
    # the JSON to_json writes is the file's own: written by write_*, read back by load_* (a folder or the file)
    paths = fiq.write_personas(personas, tmp_path / "p")
    assert paths["json"].read_bytes() == personas.to_json().encode()
    assert fiq.load_personas(tmp_path / "p") == fiq.load_personas(paths["json"]) == personas
    paths = fiq.write_scorecard(scores, tmp_path / "s")
    assert paths["json"].read_bytes() == scores.to_json().encode()
    assert fiq.load_scorecard(tmp_path / "s") == scores
    paths = fiq.write_feedback(feedback, tmp_path / "f")   # written in blocks: the same JSON, keys in another order
    assert json.loads(paths["feedback"].read_bytes()) == json.loads(feedback.to_json())
    assert fiq.load_feedback(paths["feedback"]) == FeedbackSet.from_json(paths["feedback"]) == feedback
    fiq.write_translations(translations, tmp_path / "t")
    assert fiq.load_translations(tmp_path / "t") == translations


def test_every_result_renders_itself_as_markdown_as_its_package_does(sample_report):
    fs, report = sample_report
    personas, scores, _, _ = _results()
    assert personas.to_markdown() == fiq.gtm.personas_to_markdown(personas)
    assert scores.to_markdown() == fiq.cards.scorecard_to_markdown(scores)
    assert report.to_markdown(max_themes=3) == fiq.themes.report_to_markdown(report, max_themes=3)
    md = fs.to_markdown()   # what was read: every file's rows used and skipped, and the items by source
    for path, c in fs.ledger.row_counts().items():
        assert f"| `{path.rsplit('/', 1)[-1]}` | {c['rows']} | {c['rows_used']} | {c['rows_skipped']} | {c['items']} |" in md
    assert f"{len(fs.items)} items from" in md and "| sales_note | zh |" in md


def test_to_markdown_loads_its_renderer_on_first_use(tmp_path):
    """types imports no renderer (it is the bottom layer): a result read with nothing else imported still renders."""
    import subprocess
    import sys

    personas, *_ = _results()
    path = tmp_path / "personas.json"
    personas.to_json(path)
    code = (f"from feedbackiq.types import PersonaSet; import sys; md = PersonaSet.from_json({str(path)!r}).to_markdown();"
            "assert 'feedbackiq.gtm' in sys.modules; print(md.splitlines()[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "# Personas"


def test_load_functions_name_the_missing_file(tmp_path):
    for load, name in ((fiq.load_personas, "personas.json"), (fiq.load_scorecard, "scorecard.json"),
                       (fiq.load_translations, "translations.json")):
        with pytest.raises(fiq.InputError, match=name):
            load(tmp_path)


def test_every_module_exports_only_names_it_has():
    """httpx-style private modules declare ``__all__``: a stale name there breaks ``from ... import *``."""
    import importlib
    import pkgutil

    missing = []
    for info in pkgutil.walk_packages(fiq.__path__, "feedbackiq."):
        if info.name.endswith(("__main__", "._ray")):   # the CLI entry point runs; ray is optional
            continue
        module = importlib.import_module(info.name)
        missing += [f"{info.name}.{n}" for n in getattr(module, "__all__", []) if not hasattr(module, n)]
    assert not missing
