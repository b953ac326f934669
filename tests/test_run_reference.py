"""A refactor changes no output: the samples' ``feedbackiq run`` (the README's demo, no LLM) writes the same bytes
at a reference git revision and in this working tree.

The reference is ``$FEEDBACKIQ_REFERENCE_REV`` (a branch, tag or commit), else the merge-base of ``HEAD`` and
``main``, else ``HEAD``; it is checked out into a temporary ``git worktree`` and run by this interpreter on this
machine, so floats agree. Run with ``make test-reference`` (or ``REV=needs make test-reference``).

Only what differs from one run to the next of the same code is normalised before comparing:

- ``manifest.json``: ``started_at``, ``finished_at`` and each stage's ``seconds``;
- ``themes.json`` and the themes checkpoint: the ``timings`` object (seconds per step of ``find_themes``);
- ``report.html``: the "Made <date> UTC" line, the ``started_at`` / ``finished_at`` cells of the manifest
  table and the seconds cell of each row of the stage table.

No output holds a run-specific path (inputs are named relative to the working directory, the same in both
trees), so none is normalised. Both runs use ``PYTHONHASHSEED=0``, so that no difference in the order of a
set of strings between two processes can pass for a change (the order of equally frequent words in a
segment's "Words they use" once did).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
RUN_ARGS = ["run", "datasets/samples/", "--by", "company_size", "--features", "datasets/features.yaml",
            "--cards", "datasets/cards.yaml", "--progress", "quiet"]

_PLACEHOLDER = "<normalised>"
_TIMESTAMP_KEYS = re.compile(r'("(?:started_at|finished_at)":\s*)"[^"]*"')
_SECONDS = re.compile(r'("seconds":\s*)[-0-9.eE+]+')
_TIMINGS = re.compile(r'("timings":\s*)\{[^{}]*\}')
_HTML_MADE = re.compile(r"Made \d{4}-\d\d-\d\d \d\d:\d\d UTC")
_HTML_MANIFEST_TIME = re.compile(r"(<th>(?:started_at|finished_at)</th><td>)[^<]*")
_HTML_STAGE_SECONDS = re.compile(r'(<tr><td>[a-z_]+</td><td>[a-z_ ]+</td><td class="n">)[-0-9.eE+]*')


def normalise(name: str, data: bytes) -> bytes:
    """``data`` of the output file ``name`` (relative to the run folder) with its run-specific parts replaced."""
    if name == "manifest.json":
        text = _SECONDS.sub(rf'\g<1>"{_PLACEHOLDER}"', _TIMESTAMP_KEYS.sub(rf'\g<1>"{_PLACEHOLDER}"', data.decode()))
        return text.encode()
    if name == "themes.json" or (name.startswith(".checkpoints/themes-") and name.endswith(".json")):
        return _TIMINGS.sub(rf'\g<1>"{_PLACEHOLDER}"', data.decode()).encode()
    if name == "report.html":
        text = _HTML_MADE.sub(f"Made {_PLACEHOLDER}", data.decode())
        text = _HTML_STAGE_SECONDS.sub(rf"\g<1>{_PLACEHOLDER}", _HTML_MANIFEST_TIME.sub(rf"\g<1>{_PLACEHOLDER}", text))
        return text.encode()
    return data


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def reference_rev() -> str:
    rev = os.environ.get("FEEDBACKIQ_REFERENCE_REV")
    if rev:
        return rev
    try:
        return _git("merge-base", "HEAD", "main")
    except subprocess.CalledProcessError:
        return "HEAD"


def run_samples(tree: Path, out: Path, cache: Path) -> None:
    """The demo's ``feedbackiq run`` with ``tree``'s code, no LLM, a fresh embedding cache (vectors cached by the
    other run would hide a change in embedding)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FEEDBACKIQ_", "OPENAI_", "AZURE_OPENAI_")) and k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(tree), PYTHONHASHSEED="0", FEEDBACKIQ_CACHE_DIR=str(cache),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    where = subprocess.run([sys.executable, "-c", "import feedbackiq; print(feedbackiq.__file__)"], cwd=tree,
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(tree.resolve()), f"{tree} ran the feedbackiq at {where}"
    proc = subprocess.run([sys.executable, "-m", "feedbackiq", *RUN_ARGS, "--out", str(out)], cwd=tree, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"feedbackiq run in {tree} failed:\n{proc.stderr[-3000:]}"


def output_files(run_dir: Path) -> dict[str, Path]:
    return {p.relative_to(run_dir).as_posix(): p for p in sorted(run_dir.rglob("*")) if p.is_file()}


def test_normalise_replaces_only_the_run_specific_parts():
    manifest = b'{"started_at": "2026-01-02T03:04:05.6Z", "stages": [{"stage": "ingest", "seconds": 1.25}], "rows": 3}'
    assert normalise("manifest.json", manifest) == (b'{"started_at": "<normalised>", "stages": [{"stage": "ingest", '
                                                    b'"seconds": "<normalised>"}], "rows": 3}')
    themes = b'{"timings":{"embed":0.1,"cluster":2.0},"seed":0}'
    assert normalise("themes.json", themes) == b'{"timings":"<normalised>","seed":0}'
    assert normalise("themes.csv", themes) == themes
    html = (b'<p>Made 2026-01-02 03:04 UTC by feedbackiq</p><tr><td>themes</td><td>done</td><td class="n">21.5</td>'
            b'<td>9 needs</td></tr><tr><th>started_at</th><td>2026-01-02T03:04:05Z</td></tr><td>4.5</td>')
    assert normalise("report.html", html) == (b'<p>Made <normalised> by feedbackiq</p><tr><td>themes</td><td>done</td>'
                                              b'<td class="n"><normalised></td><td>9 needs</td></tr><tr><th>started_at'
                                              b'</th><td><normalised></td></tr><td>4.5</td>')


@pytest.mark.slow
def test_samples_run_writes_the_same_bytes_as_the_reference():
    rev = reference_rev()
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="feedbackiq-reference-") as tmp:
        tmp = Path(tmp)
        ref_tree = tmp / "tree"
        _git("worktree", "add", "--detach", str(ref_tree), sha)
        try:
            run_samples(ref_tree, tmp / "reference", tmp / "cache-reference")
            run_samples(ROOT, tmp / "current", tmp / "cache-current")
        finally:
            shutil.rmtree(ref_tree, ignore_errors=True)
            _git("worktree", "prune")
        ref, cur = output_files(tmp / "reference"), output_files(tmp / "current")
        assert sorted(cur) == sorted(ref), f"output files differ from {rev} ({sha[:10]})"
        differ = [name for name in ref if normalise(name, ref[name].read_bytes()) != normalise(name, cur[name].read_bytes())]
        assert not differ, f"outputs differ from {rev} ({sha[:10]}): {differ}"
