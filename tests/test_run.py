"""`feedbackiq run` / `fiq.run`: one batch run, checkpoints, resume after a kill, config, manifest."""

import json
import re
import signal
import sqlite3
import time
from pathlib import Path

import pytest

import feedbackiq as fiq
from feedbackiq.pipeline import JsonLogObserver, RunConfig, load_config, stage_key
from feedbackiq.testing import OpenAIServer
from helpers import SAMPLES, assert_ledger_complete, is_naming, naming_replies, reads_denied, run_cli

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ROOT / "datasets" / "features.yaml"
CARDS = ROOT / "datasets" / "cards.yaml"


def statuses(result_or_manifest) -> dict[str, str]:
    m = getattr(result_or_manifest, "manifest", result_or_manifest)
    return {s.stage: s.status for s in m.stages}


def test_run_without_llm_writes_every_output_and_manifest(tmp_path):
    out = tmp_path / "run"
    result = fiq.run(SAMPLES, out, features=FEATURES, cards=CARDS)
    st = statuses(result)
    assert st == {"ingest": "done", "embed": "done", "themes": "done", "names": "skipped", "personas": "done",
                  "translate": "done", "cards": "done"}
    assert {c.status for c in result.scores.cards} <= {"pass", "fail", "at_risk"} and result.scores.unowned
    # personas by the needs they voice (distinct groups on the samples); messages and readiness stay per segment
    assert result.personas.mode == "data_driven" and "distinct" in result.personas.note
    sizes = {"1-10", "11-50", "51-200", "201-1000", "1000+"}
    assert {m.segment.get("company_size") for m in result.translations[0].messages} == sizes
    drafted = next(t for t in result.scores.targets() if t.metric == "personas_drafted")
    assert drafted.status == "pass", drafted.note
    for name in ("report.md", "manifest.json", "themes.json", "themes.parquet", "assignments.parquet",
                 "assignments.csv", "personas.md", "translations.md", "ledger.csv", "scorecard.md", "scorecard.json"):
        assert (out / name).exists(), name
    m = json.loads((out / "manifest.json").read_text())
    assert m["items"] == len(result.report.feedback.items) == result.report.n_items
    files = {Path(f["path"]).name: f for f in m["inputs"]}
    assert set(files) == {"survey_export.csv", "survey_export_zh.csv", "app_reviews.csv", "crm_notes.xlsx"}
    assert files["app_reviews.csv"]["rows"] == 400 and files["app_reviews.csv"]["rows_used"] == 400
    for f in files.values():
        assert f["rows_used"] + f["rows_skipped"] == f["rows"]
        assert len(f["sha256"]) == 64
    assert m["packages"]["feedbackiq"] and m["python"]
    assert m["model_ids"]["embedding"] in {"all-MiniLM-L6-v2", "use-multilingual-v3"}
    assert m["llm"] == {"configured": False}
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "## How this was made" in md and "survey_export_zh.csv" in md
    # report.md opens with the story (top needs, card verdicts); the inputs are at the end.
    assert md.split("\n\n")[1] == "## Summary" and md.index("KPI cards as of") < md.index("## KPI scorecard")
    assert md.index("survey_export_zh.csv") > md.index("## How this was made")
    # The manifest in report.html is the finished one: its end time and every stage, as manifest.json says.
    page = (out / "report.html").read_text(encoding="utf-8")
    assert m["finished_at"] and f"finished_at</th><td>{m['finished_at']}</td>" in page
    stages = re.search(r'<table class="plain" id="stages">.*?</table>', page).group(0)
    assert re.findall(r"<tr><td>(\w+)</td>", stages) == [s["stage"] for s in m["stages"]] and len(m["stages"]) == 7
    assert m["outputs"]["html"] == "report.html" and m["outputs"]["manifest"] == "manifest.json"
    sections = [line for line in md.splitlines() if line.startswith("## ")]
    assert len(sections) >= 5  # scorecard, themes, personas, messages, provenance: each nested under the title
    import pandas as pd

    assert len(pd.read_parquet(out / "assignments.parquet")) == result.report.n_items

    # The run read back from its folder is the run that was returned.
    loaded = fiq.load_run(out)
    assert loaded.report == result.report and loaded.feedback == result.report.feedback is not None
    assert (loaded.personas, loaded.translations, loaded.scores) == (result.personas, result.translations, result.scores)
    assert loaded.manifest == result.manifest and loaded.paths == result.paths and loaded.llm_outcomes == []
    assert loaded.report_path == result.report_path == out / "report.html"

    # Commands that reload the run folder (personas, score) read its items from the column checkpoint,
    # the same items feedback.json holds; without the checkpoint, from feedback.json.
    from feedbackiq.pipeline import load_run_report
    from feedbackiq.pipeline._load import checkpointed_feedback

    assert checkpointed_feedback(out, result.report.input_hash) == result.report.feedback
    assert checkpointed_feedback(out, "not the hash") is None
    from_checkpoint = load_run_report(out)
    assert from_checkpoint.feedback == result.report.feedback and from_checkpoint.assignments == result.report.assignments
    for p in (out / ".checkpoints").glob("ingest-*"):
        p.unlink()
    assert load_run_report(out).feedback == result.report.feedback

    # Only what the manifest lists is read: a scorecard.json an earlier run left is not this run's.
    m["outputs"] = {k: v for k, v in m["outputs"].items() if not k.startswith("scorecard_")}
    (out / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert (out / "scorecard.json").exists() and fiq.load_run(out).scores is None


def test_changed_parameter_invalidates_exactly_the_downstream_stages(tmp_path):
    out = tmp_path / "run"
    fiq.run(SAMPLES, out)
    by_industry = RunConfig.model_validate({"personas": {"by": "industry"}})
    st = statuses(fiq.run(SAMPLES, out, config=by_industry, resume=True))
    assert st["ingest"] == st["embed"] == st["themes"] == "reused" and st["personas"] == "done"
    again = statuses(fiq.run(SAMPLES, out, config=by_industry, resume=True))
    assert all(s in ("reused", "skipped") for s in again.values()), again
    seed1 = RunConfig.model_validate({"personas": {"by": "industry"}, "themes": {"seed": 1}})
    st = statuses(fiq.run(SAMPLES, out, config=seed1, resume=True))
    assert st["ingest"] == st["embed"] == "reused" and st["themes"] == st["personas"] == "done"
    # without resume nothing is reused
    assert set(statuses(fiq.run(SAMPLES, out, config=seed1)).values()) <= {"done", "skipped"}


def test_killed_run_resumes_without_redoing_stages_or_repaying_llm_calls(tmp_path):
    out = tmp_path / "run"
    with OpenAIServer(naming_replies) as srv:
        args = ["run", SAMPLES, "--out", out, "--llm", "m", "--llm-base-url", srv.base_url, "--progress", "json"]
        env = {"OPENAI_API_KEY": "k"}
        proc = run_cli(args, env)
        deadline = time.time() + 240
        while len(srv.chat_requests) < 6:  # killed in the middle of the naming stage
            assert proc.poll() is None, proc.communicate()
            assert time.time() < deadline, "the run never reached the LLM"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not (out / "manifest.json").exists()
        with sqlite3.connect(out / "llm.sqlite") as db:
            finished = db.execute("SELECT COUNT(*) FROM cache").fetchone()[0]
        assert finished >= 1
        first_run_requests = len(srv.chat_requests)

        proc = run_cli([*args, "--resume"], env)
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    events = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    ends = {e["stage"]: e["status"] for e in events if e["event"] == "stage_end"}
    assert ends["ingest"] == ends["embed"] == ends["themes"] == "reused"
    assert ends["names"] == "done"
    assert "report:" in stdout
    report = fiq.ThemeReport.from_json(out / "themes.json")
    eligible = sum(1 for n in report.needs if n.respondents >= 3)   # the run names needs, one call each
    second_run_naming = [r for r in srv.chat_requests[first_run_requests:] if "<feedback_data>" in r["messages"][-1]["content"]
                         and is_naming(r)]
    # every naming call that had finished before the kill came from the cache; only the rest were sent
    assert len(second_run_naming) == eligible - finished
    assert sum(n.label_source == "llm" for n in report.needs) == eligible
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["llm"]["configured"] and manifest["llm"]["cache_hits"] >= finished
    assert manifest["prompt_versions"]["name_need"] and "name_theme" not in manifest["prompt_versions"]


def test_json_log_mode_emits_one_event_per_line():
    import io

    buf = io.StringIO()
    obs = JsonLogObserver(buf)
    obs.stage_start("embed", 10)
    obs.advance("embed", 4)
    obs.stage_end("embed", "done", 1.5)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    assert [x["event"] for x in lines] == ["stage_start", "stage_end"]
    assert lines[1]["done"] == 4 and lines[1]["status"] == "done"


def test_config_unknown_key_and_bad_value_are_errors_naming_the_key(tmp_path):
    p = tmp_path / "feedbackiq.toml"
    for toml, message in (
        ("[themes]\nmin_cluster_sise = 5\n", r"feedbackiq.toml: themes.min_cluster_sise: unknown key"),
        ("[output]\nlanguage = 'fr'\n", r"output.language"),
        ("[themes]\nengine = 'spark'\n", r"themes.engine: Input should be 'local' or 'ray'"),
        ("[themes]\nengine = 'ray'\nray_address = 'http://head:10001'\n", r"themes.ray_address: .*'http://head:10001' is not"),
        ("[themes\nseed = 1\n", r"not valid TOML"),
        ("[output]\ncurrency = 'dollars'\n", r"output.currency: .*three-letter currency code"),
        ("[output]\nrates = {CNY = -1}\n", r"output.rates: .*CNY"),
    ):
        p.write_text(toml)
        with pytest.raises(fiq.ConfigError, match=message):
            load_config(p)
    for address in ("ray://head:10001", "10.0.0.5:6379", "auto"):
        p.write_text(f"[themes]\nengine = 'ray'\nray_address = '{address}'\n")
        assert load_config(p).themes.ray_address == address
    p.write_text("[files]\nfeatures = 'features.yaml'\n[personas]\nby = 'plan'\n")
    cfg = load_config(p)
    assert cfg.files.features == tmp_path / "features.yaml" and cfg.personas.by == "plan"


def test_example_config_is_valid(tmp_path):
    from feedbackiq.pipeline import EXAMPLE_CONFIG

    p = tmp_path / "c.toml"
    p.write_text(EXAMPLE_CONFIG)
    cfg = load_config(p)
    assert cfg.llm.max_calls == 300 and cfg.themes.engine == "local"
    # What users actually do: `feedbackiq config-example > feedbackiq.toml` (piped, so no terminal width).
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    res = CliRunner().invoke(app, ["config-example"])
    assert res.exit_code == 0 and res.output == EXAMPLE_CONFIG
    p.write_text(res.output)
    assert load_config(p) == cfg


def test_stage_keys_depend_on_every_part():
    base = stage_key("names", themes="a", llm="m", prompt="1")
    assert base != stage_key("names", themes="a", llm="m", prompt="2")
    assert base != stage_key("names", themes="b", llm="m", prompt="1")
    assert base != stage_key("personas", themes="a", llm="m", prompt="1")


def test_cli_run_bad_config_is_one_line_exit_2(tmp_path):
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    cfg = tmp_path / "c.toml"
    cfg.write_text("[llm]\nmodle = 'x'\n")
    res = CliRunner().invoke(app, ["run", str(SAMPLES), "--out", str(tmp_path / "o"), "--config", str(cfg)])
    assert res.exit_code == 2
    assert "llm.modle: unknown key" in res.output


def _folder_with_strays(root: Path) -> tuple[Path, Path]:
    """40 reviews beside files that are not exports: notes, slides, and an export the user may not read."""
    folder = root / "exports"
    folder.mkdir()
    lines = (SAMPLES / "app_reviews.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "reviews.csv").write_text("".join(lines[:41]), encoding="utf-8")
    (folder / "notes.txt").write_text("Meeting notes, Q3\nAsk Sam about the CRM columns; rerun Monday.\n", encoding="utf-8")
    (folder / "deck.pptx").write_bytes(b"PK\x03\x04slides")
    locked = folder / "locked.csv"
    locked.write_text("".join(lines[41:61]), encoding="utf-8")
    return folder, locked


@pytest.fixture(scope="module")
def stray_run(tmp_path_factory):
    folder, locked = _folder_with_strays(tmp_path_factory.mktemp("strays"))
    out = folder.parent / "run"
    with reads_denied(locked):
        result = fiq.run(folder, out)
    return folder, locked, out, result


def test_run_skips_files_in_a_folder_that_are_not_exports(stray_run):
    folder, locked, out, result = stray_run
    inputs = {Path(f.path).name: f for f in result.manifest.inputs}
    assert set(inputs) == {"reviews.csv", "notes.txt", "deck.pptx", "locked.csv"}
    assert inputs["reviews.csv"].rows == inputs["reviews.csv"].rows_used == 40 and inputs["reviews.csv"].skipped is None
    assert "permission denied" in inputs["locked.csv"].skipped and inputs["locked.csv"].sha256 == ""
    assert inputs["notes.txt"].skipped and inputs["deck.pptx"].skipped
    assert_ledger_complete(result.report.feedback)
    assert {Path(s.path).name for s in result.report.feedback.ledger.skipped_files} == {"notes.txt", "deck.pptx", "locked.csv"}
    assert "locked.csv" in (out / "report.html").read_text(encoding="utf-8")
    assert "`locked.csv`: not read" in (out / "report.md").read_text(encoding="utf-8")


def test_cut_embedding_checkpoint_on_resume_is_one_line(stray_run, tmp_path):
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    folder, locked, out, _ = stray_run
    (npy,) = (out / ".checkpoints").glob("embed-*.npy")
    npy.write_bytes(npy.read_bytes()[:1000])          # the disk filled up, or a copy stopped short
    with reads_denied(locked):                        # the same inputs, so every key up to embed is unchanged
        res = CliRunner().invoke(app, ["run", str(folder), "--out", str(out), "--resume", "--progress", "quiet"])
    assert res.exit_code == 2, res.output
    assert "unreadable checkpoint" in res.output and str(npy) in res.output.replace("\n", "")
    assert "Traceback" not in res.output


def test_cli_run_on_an_unreadable_file_named_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    _, locked = _folder_with_strays(tmp_path)
    with reads_denied(locked):
        res = CliRunner().invoke(app, ["run", str(locked), "--out", str(tmp_path / "o"), "--progress", "quiet"])
    assert res.exit_code == 2, res.output
    assert "cannot be read: permission denied" in res.output and "locked.csv" in res.output


def test_cli_run_on_a_column_of_numbers_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from feedbackiq._cli import app

    p = tmp_path / "n.csv"
    p.write_text("id,comment\n" + "".join(f"{i},{i * 37 % 1000}\n" for i in range(60)), encoding="utf-8")
    res = CliRunner().invoke(app, ["run", str(p), "--out", str(tmp_path / "o"), "--progress", "quiet"])
    assert res.exit_code == 2, res.output
    assert str(p) in res.output.replace("\n", "") and "'comment'" in res.output and "numbers" in res.output


def test_load_run_of_a_folder_without_a_finished_run_names_the_missing_file(tmp_path):
    with pytest.raises(fiq.CheckpointError, match="manifest.json not found: not a finished run"):
        fiq.load_run(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"feedbackiq_version": "0", "python": "3", "started_at":
                                                        "2026-01-01T00:00:00Z"}), encoding="utf-8")
    with pytest.raises(fiq.CheckpointError, match="themes.json not found"):
        fiq.load_run(tmp_path)
