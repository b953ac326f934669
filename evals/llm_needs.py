"""Needs named by an LLM and its regrouping, on the bundled samples, with the shipped fake server.

    .venv/bin/python evals/llm_needs.py [--seeds 0 1 2]

Mechanics (the scripted server, no model): calls, estimated input tokens and wall time of naming
needs, themes, or both, and of one regrouping call. Then the evidence rule of the regrouping
(:mod:`feedbackiq.llm._regroup`) on every change an LLM could propose, judged against the planted
needs: each pair of needs merged, each theme moved to each other need, each theme split off alone.
A change is "right" when it brings together themes of the same planted need (a move: to a need whose
planted majority is the theme's own) and "wrong" otherwise; the table counts how many of each the
rule keeps. No LLM judgement is measured here: the fake server only makes the calls happen.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _naming_reply(body):
    from feedbackiq.testing import Reply

    user = body["messages"][1]["content"]
    if "NeedRegrouping" in json.dumps(body.get("response_format") or {}):
        by_need: dict = {}
        for line in user.split("<feedback_data>\n")[1].split("\n</feedback_data>")[0].splitlines():
            rec = json.loads(line)
            by_need.setdefault(rec["need"], []).append(rec["theme"])
        return Reply.json({"needs": [{"theme_ids": ids} for ids in by_need.values()]})
    from test_run import scripted_naming   # a name and a statement citing the first evidence item's handle

    return Reply.json(scripted_naming(user))


def mechanics(report) -> None:
    from feedbackiq.llm import LLM, name_themes, propose_regrouping
    from feedbackiq.testing import OpenAIServer

    print(f"{'step':<22} {'calls':>5} {'est. input tokens':>17} {'seconds':>7}")
    with OpenAIServer(_naming_reply) as srv:
        for level in ("needs", "themes", "both"):
            llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tempfile.mkdtemp(), max_concurrency=4)
            t0 = time.perf_counter()
            out = name_themes(report, llm, level=level)
            est = out.llm_stats["estimate"]
            print(f"{'name ' + level:<22} {est['calls']:>5} {est['input_tokens']:>17} {time.perf_counter() - t0:7.1f}")
        llm = LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=tempfile.mkdtemp())
        t0 = time.perf_counter()
        propose_regrouping(report, llm)
        chars = len(srv.chat_requests[-1]["messages"][1]["content"])
        print(f"{'regroup (kept as is)':<22} {1:>5} {chars // 4:>17} {time.perf_counter() - t0:7.1f}")


def rule(fs, report) -> dict[str, list[int]]:
    """Kept / judged, for right and wrong changes of each kind."""
    from helpers import majority_truth_by_need, majority_truth_by_theme

    from feedbackiq.llm._regroup import _Change, judge, standard
    from feedbackiq.themes._rebuild import item_labels, report_vectors, theme_sums

    need_truth, theme_truth = majority_truth_by_need(fs, report, "theme"), majority_truth_by_theme(fs, report, "theme")
    Xu, inverse = report_vectors(report)
    sums = theme_sums(item_labels(report), Xu, inverse, len(report.themes))
    members = {n.id: list(n.theme_ids) for n in (*report.needs, *report.non_needs)}
    real = [n for n in report.needs if n.kind == "need"]
    std = standard(sums, [members[n.id] for n in real])
    names = {n.id: n.name for n in real}
    counts: dict[str, list[int]] = {}

    def count(kind: str, right: bool, ch: _Change) -> None:
        judge(ch, sums, members, std)
        c = counts.setdefault(f"{kind} {'right' if right else 'wrong'}", [0, 0])
        c[0] += ch.kept
        c[1] += 1
        if ch.kept and not right:
            print(f"  kept, wrong: {kind} {ch.themes if kind != 'merge' else names[ch.source]!r} -> "
                  f"{names.get(ch.target)!r} ({ch.why})")

    for a in real:
        for b in real:
            if a.id < b.id:
                count("merge", need_truth.get(a.id) == need_truth.get(b.id), _Change("merge", members[a.id], a.id, b.id))
    for a in real:
        for t in members[a.id]:
            if len(members[a.id]) > 1:
                count("split", theme_truth.get(t) != need_truth.get(a.id), _Change("split", [t], a.id, None))
            for b in real:
                if b.id != a.id and len(members[a.id]) > 1:
                    count("move", theme_truth.get(t) == need_truth.get(b.id), _Change("move", [t], a.id, b.id))
    print(f"floor {std.floor:.3f}, apart {std.apart:.3f}")
    return counts


def main() -> None:
    from helpers import SAMPLES

    import feedbackiq as fiq

    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    fs = fiq.read_feedback(SAMPLES)
    for seed in args.seeds:
        report = fiq.find_themes(fs, seed=seed)
        print(f"seed {seed}: {len(report.needs)} needs, {len(report.themes)} themes")
        if seed == args.seeds[0]:
            mechanics(report)
        for kind, (kept, judged) in sorted(rule(fs, report).items()):
            print(f"  {kind:<12} kept {kept:>3} of {judged:>3}")


if __name__ == "__main__":
    main()
