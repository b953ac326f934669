"""PII redaction: measured on the labelled file, plus behaviour users rely on."""

import sys
from pathlib import Path

import pytest

from feedbackiq._redact import Redactor, redact

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evals"))
from pii_eval import evaluate  # noqa: E402


@pytest.mark.parametrize("split", ["dev", "test"])
def test_recall_and_precision_on_labelled_cases(split):
    r = evaluate(split)["ALL"]
    assert r["true"] > 150
    assert r["recall"] >= 0.99, r
    assert r["precision"] >= 0.95, r


@pytest.mark.parametrize("text,kind", [
    ("我的手机号13812345678请回电", "PHONE"),
    ("+86 138 1234 5678", "PHONE"),
    ("邮箱li.wei@example.com谢谢", "EMAIL"),
    ("身份证11010519491231002X", "CN_ID"),
    ("card 4111-1111-1111-1111", "CARD"),
    ("IBAN GB82WEST12345698765432", "IBAN"),
    ("from 203.0.113.7", "IP"),
    ("see https://x.example.com/reset?token=abcdef123456", "URL"),
    ("微博@小王同学说", "HANDLE"),
])
def test_each_kind(text, kind):
    assert [f.kind for f in Redactor().findings(text)] == [kind]


@pytest.mark.parametrize("text", [
    "App 3.2.1 crashed on 2026-03-05 at 10:30",
    "订单号20260305123456，金额¥1,299",
    "身份证号码11010519491231002Y",       # wrong check digit
    "card 4111 1111 1111 1112",           # fails Luhn
    "IBAN GB00WEST12345698765432",        # fails mod-97
    "docs at https://example.com/help",   # a URL without secrets is not PII
    "version 10.0.0.1234 of the firmware",
])
def test_hard_negatives_untouched(text):
    assert redact(text) == text


def test_placeholders_stable_within_a_run_and_reversible():
    r = Redactor()
    a = r.redact("mail a.b@example.com or 13812345678")
    b = r.redact("again a.b@example.com, and c@example.com")
    assert a == "mail [EMAIL_1] or [PHONE_1]" and b == "again [EMAIL_1], and [EMAIL_2]"
    assert r.mapping == {"[EMAIL_1]": "a.b@example.com", "[PHONE_1]": "13812345678", "[EMAIL_2]": "c@example.com"}
    assert Redactor().redact("c@example.com") == "[EMAIL_1]"  # a new run starts again


def test_idempotent():
    r = Redactor()
    once = r.redact("call 13812345678 or mail x@example.com from 10.0.0.1")
    assert r.redact(once) == once
