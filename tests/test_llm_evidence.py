"""Citations a real model produces: near-verbatim quotes aligned to the item's own text, claims judged one by one."""

import pytest

from feedbackiq.llm._evidence import EvidenceSet, align_quote, judge_claim
from feedbackiq.types import FeedbackItem, SourceKind

NOTE = "Prospect says: per-sheet permissions are a must, contractors can see every sheet and finance is worried."
ZH = "电池续航太差了，一天都撑不住。"


@pytest.mark.parametrize("quote, expected", [
    ("per-sheet permissions are a must.", "per-sheet permissions are a must"),                  # trailing period
    ("Prospect says: per-sheet permissions are a must", "Prospect says: per-sheet permissions are a must"),
    ("contractors can see every sheet...", "contractors can see every sheet"),                 # ellipsis for the rest
    ("CONTRACTORS CAN SEE EVERY SHEET", "contractors can see every sheet"),                     # case
    ("contractors  can see\nevery sheet", "contractors can see every sheet"),                   # whitespace
    ("“finance is worried”", "finance is worried"),                                             # typographic quotes
    ("contractors can see evry sheet and finance is worried", "contractors can see every sheet and finance is worried"),
    ("contractors see every sheet and finance is worried", "contractors can see every sheet and finance is worried"),
])
def test_near_verbatim_quotes_align_to_the_items_own_text(quote, expected):
    start, end = align_quote(quote, NOTE)
    assert NOTE[start:end] == expected


@pytest.mark.parametrize("quote, expected", [
    ("电池续航太差了...", "电池续航太差了"),
    ("电池续航太差了, 一天都撑不住", "电池续航太差了，一天都撑不住"),        # half-width comma for the full-width one
    ("一天都撑不住。", "一天都撑不住"),
])
def test_chinese_quotes_with_other_punctuation_align(quote, expected):
    start, end = align_quote(quote, ZH)
    assert ZH[start:end] == expected


@pytest.mark.parametrize("quote", ["permissions are great", "the camera is blurry at night", "finance is happy with sheets", "电池很好"])
def test_quotes_that_say_something_else_do_not_align(quote):
    assert align_quote(quote, NOTE + ZH) is None


def test_full_width_letters_and_digits_align():
    text = "ＡＰＰ 3.2.0 drains the battery"
    start, end = align_quote("app 3.2.0 drains", text)
    assert text[start:end] == "ＡＰＰ 3.2.0 drains"


def _evidence():
    return EvidenceSet([FeedbackItem(id="survey:R1:Q5", text="Support takes 3 days to answer.", source=SourceKind.SURVEY),
                        FeedbackItem(id="crm:N-7", text=NOTE, source=SourceKind.SALES_NOTE)])


def test_each_claim_is_judged_on_its_own_evidence():
    ev = _evidence()
    block = ev.block()
    assert '"ref": 1' in block and '"ref": 2' in block and "survey:R1:Q5" not in block   # handles, not item ids
    kept = judge_claim("Finance worries contractors see every sheet", ["[2]"], ["contractors can see every sheet."], ev,
                       sources=[SourceKind.SALES_NOTE])
    assert kept.kept and kept.citations[0].item_id == "crm:N-7"
    assert kept.citations[0].quote == "contractors can see every sheet"      # the item's text, not the model's copy
    whole = judge_claim("Support is slow", [1], [None], ev)
    assert whole.kept and whole.citations[0].quote == "Support takes 3 days to answer."
    assert judge_claim("Support is slow", [], [], ev).reason == "no citation"
    assert judge_claim("Support is slow", ["[9]"], [None], ev).reason == "unknown reference"
    assert judge_claim("Support is slow", [1], [None], ev, sources=[SourceKind.SALES_NOTE]).reason == "wrong source"
    assert judge_claim("Support is slow", [1], ["support never answers"], ev).reason == "quote not in the cited item"
    assert judge_claim("Support takes 5 days", [1], [None], ev).reason == "invented number"
    assert judge_claim("Support takes 5 days", [1], [None], ev, facts="median wait 5 days").kept


def test_redacted_text_is_what_the_model_saw_and_what_is_cited():
    item = FeedbackItem(id="a", text="Call me at 415 555 2671, support never answers", source=SourceKind.SURVEY)
    ev = EvidenceSet([item], texts={"a": "Call me at [PHONE_1], support never answers"})
    v = judge_claim("Support never answers", [1], ["support never answers"], ev)
    assert v.kept and "415" not in ev.block() and v.citations[0].quote == "support never answers"


def test_loose_citations_keep_the_claim_on_the_ones_that_hold():
    """As real models cite: several handles with their quotes in another order, a handle too many, a quote of an
    item shown but not cited, a sales note cited beside a survey answer for an objection."""
    items = [FeedbackItem(id="s1", text="The sheet permissions screen is confusing & too coarse", source=SourceKind.SURVEY),
             FeedbackItem(id="n1", text="Champion mentioned Sheet permissions are too coarse, for our finance team.",
                          source=SourceKind.SALES_NOTE),
             FeedbackItem(id="s2", text="Tutorials don't match the current screens", source=SourceKind.SURVEY)]
    ev = EvidenceSet(items)
    v = judge_claim("Permissions are too coarse", [2, 1], ["permissions screen is confusing",
                                                          "Sheet permissions are too coarse, for our finance team."], ev)
    assert v.kept and {c.item_id for c in v.citations} == {"s1", "n1"}
    v = judge_claim("Permissions are too coarse", [1, 9], ["screen is confusing & too coarse"], ev)
    assert v.kept and [c.item_id for c in v.citations] == ["s1"]
    v = judge_claim("Permissions are too coarse", [3], ["permissions are too coarse, for our finance team"], ev)
    assert v.kept and [c.item_id for c in v.citations] == ["n1"]          # the item quoted, not the one cited
    v = judge_claim("Finance objects to coarse permissions", [1, 2], [None], ev, sources=[SourceKind.SALES_NOTE])
    assert v.kept and [c.item_id for c in v.citations] == ["n1"]          # the survey answer is no objection
    assert not judge_claim("x", [1, 3], ["a quote nobody wrote at all"], ev).kept
    assert judge_claim("x", [8, 9], [None], ev).reason == "unknown reference"


def test_a_quote_cut_mid_word_by_a_length_cap_still_aligns():
    """Reply schemas cap a quote's length; a grammar that enforces it cuts the last word short."""
    cut = NOTE[:66]
    assert cut.endswith("can s")
    start, end = align_quote(cut, NOTE)
    assert start == 0 and NOTE[start:end].startswith("Prospect says: per-sheet permissions are a must, contractors can")
