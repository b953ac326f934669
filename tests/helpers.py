"""Helpers shared by the test modules: the repository's paths, ledger checks, the samples' planted truth.

Import them from here (``from helpers import SAMPLES``), not from ``conftest``: pytest loads conftest.py
itself, and importing it again would run it a second time under another name.
"""

import contextlib
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "datasets" / "samples"


def assert_ledger_complete(fs):
    """Every data row of every file is accounted for, exactly."""
    counts = fs.ledger.row_counts()
    assert counts, "ledger has no files"
    for path, c in counts.items():
        assert c["rows_unaccounted"] == 0, (path, c)
        assert c["rows_used"] + c["rows_skipped"] == c["rows"], (path, c)
    item_entries = [e for e in fs.ledger.entries if e.outcome == "item"]
    assert sorted(e.item_id for e in item_entries) == sorted(i.id for i in fs.items)
    assert len({i.id for i in fs.items}) == len(fs.items), "item ids must be unique"
    for e in fs.ledger.entries:
        if e.outcome == "skipped":
            assert e.reason is not None


@contextlib.contextmanager
def reads_denied(*paths):
    """Make ``paths`` unreadable as they are to a user without rights to them: mode 000 and, for root
    (whom no mode stops), ``open`` raising the PermissionError the OS would. Checked on entry, so a
    test using it really reads a file it may not read."""
    import builtins
    import io

    denied = {os.path.realpath(p) for p in paths}
    real_open = io.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) in denied:
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        for p in paths:
            os.chmod(p, 0)
        if os.geteuid() == 0:
            mp.setattr(io, "open", guarded)
            mp.setattr(builtins, "open", guarded)
        for p in paths:
            with pytest.raises(PermissionError):
                open(p, "rb")
        try:
            yield
        finally:
            for p in paths:
                os.chmod(p, 0o644)


def truth_by_item(fs, column: str = "theme") -> dict:
    """Planted truth (``theme`` or ``framing``) per item id, joined on the exports' own ids."""
    import csv

    truth = {}
    for name, key in (("app_reviews.csv", "review_id"), ("crm_notes.csv", "note_id")):
        with (SAMPLES / "truth" / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                truth[(name.split(".")[0], row[key])] = row[column]
    with (SAMPLES / "truth" / "survey_export.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            truth[("survey_export", row["ResponseId"] + row["column"])] = row[column]
    out = {}
    for it in fs.items:
        stem = it.origin.file.rsplit("/", 1)[-1].split(".")[0]
        if stem == "survey_export":
            out[it.id] = truth.get((stem, it.respondent_id + it.metadata["question_column"]))
        elif stem in ("app_reviews", "crm_notes"):
            out[it.id] = truth.get((stem, it.metadata["source_id"]))
    return out


def majority_truth_by_theme(fs, report, column: str = "framing") -> dict:
    """For each theme id, the planted truth value most of its items carry."""
    from collections import Counter

    truth = truth_by_item(fs, column)
    per_theme: dict = {}
    for a in report.assignments:
        if truth.get(a.item_id):
            per_theme.setdefault(a.theme_id, Counter())[truth[a.item_id]] += 1
    return {t: c.most_common(1)[0][0] for t, c in per_theme.items()}


def majority_truth_by_need(fs, report, column: str = "theme") -> dict:
    """For each need (and non-need group) id, the planted truth value most of its items carry."""
    from collections import Counter

    truth = truth_by_item(fs, column)
    need_of = {tid: n.id for n in (*report.needs, *report.non_needs) for tid in n.theme_ids}
    per_need: dict = {}
    for a in report.assignments:
        if truth.get(a.item_id) and a.theme_id in need_of:
            per_need.setdefault(need_of[a.theme_id], Counter())[truth[a.item_id]] += 1
    return {n: c.most_common(1)[0][0] for n, c in per_need.items()}


# -- clustering ---------------------------------------------------------------------------------

def blobs(n_per=60, k=4, dim=32, noise=0.08, seed=0, far=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(k, dim))
    X = np.vstack([c + rng.normal(0, noise * np.linalg.norm(c), (n_per, dim)) for c in centers])
    y = np.repeat(np.arange(k), n_per)
    if far:
        X = np.vstack([X, rng.normal(size=(far, dim)) * 3])
        y = np.concatenate([y, np.full(far, -1)])
    return X.astype(np.float32), y


def far_from_blobs(X, y, n, seed):
    """``n`` points orthogonal to every blob centre of ``blobs(...)``, so no theme is similar to them;
    also returns the orthonormal basis of the centres."""
    Q, _ = np.linalg.qr(np.vstack([X[y == t].mean(axis=0) for t in range(y.max() + 1)]).T)
    far = np.random.default_rng(seed).normal(size=(n, X.shape[1]))
    return (far - far @ Q @ Q.T).astype(np.float32), Q


def purity(labels, y):
    """Share of the planted rows (``y >= 0``) in a theme whose majority label is theirs ("other" counts none)."""
    ok = 0
    for t in set(labels.tolist()) - {-1}:
        ok += np.bincount(y[(labels == t) & (y >= 0)] + 0).max() if ((labels == t) & (y >= 0)).any() else 0
    return ok / (y >= 0).sum()


# -- the LLM client and runs against the fake server -------------------------------------------

MESSAGES = [{"role": "system", "content": "You name things."}, {"role": "user", "content": "Name it."}]


class Name(BaseModel):
    name: str
    score: int


def make_llm(server, tmp_path, **kw):
    """An ``LLM`` on the fake ``server``, caching in ``tmp_path``, with short backoff and timeout."""
    from feedbackiq.llm import LLM

    kw.setdefault("backoff", 0.001)
    kw.setdefault("timeout", 2.0)
    return LLM(model="test-model", base_url=server.base_url, api_key="k", cache_dir=tmp_path, **kw)


def naming_replies(body):
    """A valid naming for whichever need or theme is asked about: named by its first keywords in English, its
    statement resting on its first English evidence item (cited by handle, with a quote); anything else (persona
    drafts) gets an empty object, which fails validation and is dropped."""
    from feedbackiq.testing import Reply

    user = body["messages"][1]["content"]   # the prompt (a retry adds messages after it)
    if "<feedback_data>" not in user or not is_naming(body):
        return Reply.json({})
    return Reply.json(scripted_naming(user), delay=0.15)


def scripted_naming(user: str) -> dict:
    """What a model gives for a naming prompt: a name from the group's English keywords, a statement on one of
    its English items, cited by that item's handle."""
    keywords = user.split("keywords: ", 1)[1].split("\n", 1)[0].split(", ")
    records = [json.loads(line) for line in user.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0].splitlines()]
    first = next((r for r in records if r["text"].isascii()), records[0])
    name = " ".join([k for k in keywords if k.isascii() and " " not in k][:3]).capitalize() or first["text"][:30]
    return {"name": name, "need_statement": f"Customers need this fixed: {first['text']}", "refs": [first["ref"]],
            "quotes": [" ".join(first["text"].split()[:3])]}


def is_naming(body) -> bool:
    """A need's or a theme's naming request (by its reply schema)."""
    fmt = json.dumps(body.get("response_format") or {}) + body["messages"][-1]["content"]
    return "NeedNaming" in fmt or "ThemeNaming" in fmt


def run_cli(args, env_extra=None, **kw):
    """``python -m feedbackiq ARGS`` started in the repository (stdout and stderr piped, as text)."""
    env = {**os.environ, **(env_extra or {})}
    return subprocess.Popen([sys.executable, "-m", "feedbackiq", *map(str, args)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


# -- naming replies and reports for the LLM steps -------------------------------------------------

BATTERY = ["Battery dies by lunch", "The battery drains in two hours", "Phone is dead before noon", "battery awful"]

STATEMENT = "Field workers need a phone battery that lasts a shift so that they stay reachable"


def naming(ref, quote=None, name="Longer battery life", statement=STATEMENT):
    """A naming reply as the prompt asks for it: the statement rests on the evidence items under handle ``ref``."""
    refs = ref if isinstance(ref, list) else [ref]
    return {"name": name, "need_statement": statement, "refs": refs, "quotes": [quote] if quote else []}


def first_record(body) -> dict:
    """The first evidence record of a request's prompt."""
    return json.loads(body["messages"][1]["content"].split("<feedback_data>\n")[1].split("\n")[0])


def english(records: list[dict]) -> list[dict]:
    """A prompt's evidence records in English (all of them when none is): a scripted English claim about a
    Chinese item would be dropped for its language."""
    from feedbackiq._lang import has_cjk

    return [r for r in records if not has_cjk(r["text"])] or records


def about(record: dict, point: str) -> str:
    """A claim about what one evidence record says, as a model paraphrases it: the point, then the record's own
    first words (a claim must be near in meaning to the item it cites)."""
    return f"{point}: {' '.join(record['text'].split()[:8])}"


def make_report(texts_by_theme: dict[int, list[str]], respondents_each: bool = True):
    """A ThemeReport (with its items) of one theme per key of ``texts_by_theme``, each item its own respondent
    unless ``respondents_each`` is False; the first three texts are a theme's quotes."""
    from feedbackiq.types import Assignment, FeedbackItem, FeedbackSet, Quote, SourceKind, Theme, ThemeReport

    items, assignments, themes = [], [], []
    for tid, texts in texts_by_theme.items():
        ids = []
        for j, text in enumerate(texts):
            iid = f"t{tid}i{j}"
            items.append(FeedbackItem(id=iid, text=text, source=SourceKind.REVIEW, respondent_id=f"r{tid}{j}" if respondents_each else "same",
                                      language="zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"))
            assignments.append(Assignment(item_id=iid, theme_id=tid, probability=0.9))
            ids.append(iid)
        themes.append(Theme(id=tid, name=f"kw{tid}", keywords=[f"kw{tid}"], size=len(texts),
                            respondents=len(texts) if respondents_each else 1,
                            quotes=[Quote(item_id=i, text=t, source=SourceKind.REVIEW) for i, t in zip(ids[:3], texts[:3])]))
    return ThemeReport(themes=themes, assignments=assignments, n_items=len(items), feedback=FeedbackSet(items=items))
