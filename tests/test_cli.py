"""The feedbackiq command line, run as a user runs it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from feedbackiq import __version__
from feedbackiq._cli import app

runner = CliRunner()
EXE = Path(sys.executable).with_name("feedbackiq")


def test_help_and_version():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0 and "ingest" in res.output and "themes" in res.output
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and __version__ in res.output


def test_ingest_writes_items_and_ledger(tmp_path, samples):
    res = runner.invoke(app, ["ingest", str(samples / "app_reviews.csv"), str(samples / "crm_notes.xlsx"), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "ledger_summary.json").read_text())
    assert sum(c["items"] for c in summary["row_counts"].values()) == summary["items"] == 550
    assert (tmp_path / "items.csv").exists() and (tmp_path / "ledger.csv").exists()


def test_map_option(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text("who,remark,next_step\nacme,Dialect recognition is missing for drivers,Send the Cantonese demo next week\n"
                 "beta,Price is too high for a small shop,Offer the annual discount to the owner\n", encoding="utf-8")
    res = runner.invoke(app, ["ingest", str(p), "--out", str(tmp_path / "o"), "--map", "text=remark", "--map", "respondent_id=who"])
    assert res.exit_code == 0, res.output
    assert "2 feedback items" in res.output


def test_typed_errors_are_one_line_exit_2(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    proc = subprocess.run([str(EXE), "ingest", str(bad), "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "error:" in proc.stderr and str(bad) in proc.stderr and "Traceback" not in proc.stderr


def test_themes_with_llm_flag_names_needs(tmp_path, samples, monkeypatch):
    from feedbackiq.testing import OpenAIServer, Reply

    from helpers import scripted_naming

    def reply(body):
        return Reply.json(scripted_naming(body["messages"][1]["content"]))

    with OpenAIServer(reply) as srv:
        res = runner.invoke(app, ["themes", str(samples / "crm_notes.xlsx"), "--out", str(tmp_path), "--show", "0",
                                  "--llm", "test-model", "--llm-base-url", srv.base_url])
        assert res.exit_code == 0, res.output
        assert len(srv.chat_requests) >= 1
    report = json.loads((tmp_path / "themes.json").read_text())
    named = [n for n in report["needs"] if n["label_source"] == "llm"]
    assert named and all(n["name"].split()[0].lower() in n["keywords"] for n in named)
    assert "needs named" in res.output


def test_themes_without_llm_says_how_to_configure(tmp_path, samples, monkeypatch):
    for var in ("FEEDBACKIQ_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    res = runner.invoke(app, ["themes", str(samples / "crm_notes.xlsx"), "--out", str(tmp_path), "--show", "0"])
    assert res.exit_code == 0, res.output
    assert res.output.count("no LLM configured") == 1 and "FEEDBACKIQ_LLM_MODEL" in res.output


def _two_sheets(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active.append(["metric", "value"])
    wb.active.append(["responses", 2])
    ws = wb.create_sheet("Responses")
    ws.append(["id", "comment"])
    ws.append([1, "Battery dies after the update"])
    ws.append([2, "Camera is blurry at night"])
    wb.save(path)
    return path


def test_sheet_option_on_ingest_themes_and_run(tmp_path, monkeypatch):
    import feedbackiq as fiq
    import feedbackiq.pipeline
    import feedbackiq.themes
    from feedbackiq import EmptyInputError, IngestError
    from feedbackiq.pipeline import EXAMPLE_CONFIG
    from feedbackiq.pipeline._stages import ingest_stage

    book = _two_sheets(tmp_path / "book.xlsx")
    res = runner.invoke(app, ["ingest", str(book), "--sheet", "Responses", "--out", str(tmp_path / "i")])
    assert res.exit_code == 0, res.output
    assert "2 feedback items" in res.output
    res = runner.invoke(app, ["ingest", str(book), "--sheet", "Answers", "--out", str(tmp_path / "i")])
    assert res.exit_code == 2 and "no sheet 'Answers'" in res.output
    with pytest.raises(IngestError, match="no sheet 5"):   # by position (the API), out of range: no IndexError
        fiq.read_feedback(book, sheet=5)

    seen = {}

    def find_themes(fs, **kw):
        seen["texts"] = [it.text for it in fs.items]
        raise EmptyInputError("stop here")

    monkeypatch.setattr(feedbackiq.themes, "find_themes", find_themes)
    res = runner.invoke(app, ["themes", str(book), "--sheet", "Responses", "--out", str(tmp_path / "t")])
    assert res.exit_code == 2 and seen["texts"] == ["Battery dies after the update", "Camera is blurry at night"]

    def run(exports, out_dir, *, config, **kw):
        seen["run"] = ingest_stage(exports, config)
        raise EmptyInputError("stop here")

    monkeypatch.setattr(feedbackiq.pipeline, "run", run)
    res = runner.invoke(app, ["run", str(book), "--sheet", "Responses", "--out", str(tmp_path / "r")])
    assert res.exit_code == 2 and len(seen["run"].items) == 2
    assert "# sheet = " in EXAMPLE_CONFIG


def _without_read_override(cmd: list[str], probe: Path) -> list[str]:
    """``cmd`` as a user whom file modes stop: as it is for a normal user; for root, without the
    capabilities that override them (setpriv). Skips when that cannot be arranged here."""
    import os
    import shutil

    if os.geteuid() != 0:
        wrapped = list(cmd)
    elif shutil.which("setpriv"):
        drop = "-dac_override,-dac_read_search"
        wrapped = ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", "--", *cmd]
    else:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    check = subprocess.run([*wrapped[:len(wrapped) - len(cmd)], sys.executable, "-c", f"open({str(probe)!r}, 'rb')"],
                           capture_output=True, text=True)
    if "PermissionError" not in check.stderr:
        pytest.skip(f"cannot make a file unreadable here: {check.stderr.strip()[-200:]}")
    return wrapped


def test_unreadable_file_is_one_line_and_skipped_in_a_folder(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "reviews.csv").write_text("id,comment\n1,Battery dies after the update\n2,Camera is blurry\n", encoding="utf-8")
    locked = folder / "locked.csv"
    locked.write_text("id,comment\n3,Support never answers\n", encoding="utf-8")
    locked.chmod(0)
    named = subprocess.run(_without_read_override([str(EXE), "ingest", str(locked), "--out", str(tmp_path / "a")], locked),
                           capture_output=True, text=True)
    assert named.returncode == 2, named.stderr
    assert named.stderr.count("\n") == 1 and "cannot be read: permission denied" in named.stderr
    assert str(locked) in named.stderr.replace("\n", "")
    found = subprocess.run(_without_read_override([str(EXE), "ingest", str(folder), "--out", str(tmp_path / "b")], locked),
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert "Traceback" not in found.stderr and "skipped" in found.stderr and "permission denied" in found.stderr
    summary = json.loads((tmp_path / "b" / "ledger_summary.json").read_text())
    assert summary["items"] == 2 and [s["path"] for s in summary["skipped_files"]] == [str(locked)]


def test_model_loading_draws_no_progress_bar(tmp_path):
    """transformers drew a "Loading weights" bar on stderr on every run, even with --progress quiet. A fresh
    embedding cache, so the model is really loaded; the CLI in its own process, as a user runs it."""
    data = tmp_path / "in.csv"
    data.write_text("id,comment\n" + "".join(f"{i},battery dies after {i} hours\n" for i in range(20))
                    + "".join(f"{i + 20},support took {i} days to reply\n" for i in range(20)), encoding="utf-8")
    env = {**os.environ, "FEEDBACKIQ_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-m", "feedbackiq", "run", str(data), "--out", str(tmp_path / "r"),
                           "--progress", "quiet"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Loading weights" not in proc.stderr, proc.stderr
    assert (tmp_path / "cache").is_dir()   # the model embedded (and so was loaded) in this run
