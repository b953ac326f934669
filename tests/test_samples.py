"""The synthetic sample bundle is reproducible and has the quirks it claims."""

import csv
import subprocess
import sys
from collections import Counter

import openpyxl
from helpers import ROOT, SAMPLES

PLANTED = ["battery", "camera", "dialect", "permissions", "supply_chain_visibility", "support", "onboarding", "pricing"]


def test_generator_is_deterministic(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "datasets" / "make_samples.py"), "--out", str(tmp_path)], check=True, capture_output=True)
    for name in ["survey_export.csv", "survey_export_zh.csv", "app_reviews.csv", "truth/survey_export.csv",
                 "truth/survey_export_zh.csv", "truth/app_reviews.csv", "truth/crm_notes.csv"]:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
    new, old = openpyxl.load_workbook(tmp_path / "crm_notes.xlsx").active, openpyxl.load_workbook(SAMPLES / "crm_notes.xlsx").active
    assert [list(r) for r in new.iter_rows(values_only=True)] == [list(r) for r in old.iter_rows(values_only=True)]


def test_encodings_and_headers():
    raw = (SAMPLES / "survey_export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][3] == "ResponseId" and rows[2][9].startswith('{"ImportId":"QID5_TEXT"')
    zh = (SAMPLES / "survey_export_zh.csv").read_bytes()
    zh.decode("gb18030")
    try:
        zh.decode("utf-8")
        raise AssertionError("the Chinese survey must not be valid UTF-8")
    except UnicodeDecodeError:
        pass


def test_each_planted_theme_has_enough_rows():
    counts = Counter()
    for name in ["survey_export.csv", "survey_export_zh.csv", "app_reviews.csv", "crm_notes.csv"]:
        with (SAMPLES / "truth" / name).open(encoding="utf-8") as fh:
            counts.update(r["theme"] for r in csv.DictReader(fh))
    for theme in PLANTED:
        assert counts[theme] >= 15, (theme, counts[theme])
