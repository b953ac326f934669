"""The built wheel works when installed, not only from the checkout: package data (prompt templates,
stop words, report assets) ships, and an LLM step runs against the shipped fake server.

The wheel is built from this checkout and installed without dependencies into a new virtualenv
outside it; the new environment sees the test environment's packages (torch and the rest) through a
path file, but feedbackiq only from the wheel. The script runs from an empty folder, so nothing of the
checkout is on its path.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCRIPT = textwrap.dedent('''
    import sys
    from pathlib import Path

    import feedbackiq as fiq
    from feedbackiq.testing import OpenAIServer, Reply
    from feedbackiq._tokenize import stopwords
    from feedbackiq.types import Assignment, FeedbackItem, FeedbackSet, Quote, SourceKind, Theme, ThemeReport

    where = Path(fiq.__file__).resolve()
    assert Path(sys.prefix).resolve() in where.parents, f"feedbackiq imported from {where}, not the new venv"

    texts = ["Battery dies by lunch", "The battery drains in two hours", "Phone is dead before noon", "battery awful"]
    items = [FeedbackItem(id=f"i{j}", text=t, source=SourceKind.REVIEW, respondent_id=f"r{j}", language="en")
             for j, t in enumerate(texts)]
    theme = Theme(id=0, name="battery", keywords=["battery"], size=4, respondents=4,
                  quotes=[Quote(item_id="i1", text=texts[1], source=SourceKind.REVIEW)])
    report = ThemeReport(themes=[theme], assignments=[Assignment(item_id=i.id, theme_id=0, probability=0.9) for i in items],
                         n_items=4, n_respondents=4, feedback=FeedbackSet(items=items))
    reply = {"name": "Longer battery life", "need_statement": "Field workers need a phone battery that lasts a shift so that they stay reachable",
             "refs": [1], "quotes": ["drains in two hours"]}
    with OpenAIServer([Reply.json(reply)]) as srv:
        llm = fiq.LLM(model="m", base_url=srv.base_url, api_key="k", cache_dir=Path.cwd() / "cache")
        named = fiq.name_themes(report, llm)
        assert len(srv.requests) == 1
    assert named.themes[0].name == "Longer battery life", named.themes[0].label_note
    assert named.themes[0].label_source == "llm"
    assert {"the", "的"} <= stopwords()   # the stop word lists shipped
    from feedbackiq.report import write_html_report
    write_html_report(named, "report.html")
    assert "<style" in Path("report.html").read_text(encoding="utf-8")   # the CSS asset shipped
    print("ok", named.themes[0].name)
''')


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Built from a copy: setuptools reuses an in-tree build/ folder, whose stale files could hide
    # package data the wheel no longer carries.
    src = out / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "runs", "*.egg-info",
                                                             "__pycache__", ".pytest_cache", ".cache"))
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "--wheel-dir", str(out), str(src)], capture_output=True, text=True, cwd=out)
    assert build.returncode == 0, build.stderr[-3000:]
    wheels = list(out.glob("feedbackiq-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_carries_the_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    checkout = {p.relative_to(ROOT).as_posix() for sub in ("prompts", "_data", "report/_assets")
                for p in (ROOT / "feedbackiq" / sub).iterdir() if p.is_file()}
    assert checkout and checkout <= names, sorted(checkout - names)
    assert any(n.startswith("feedbackiq/prompts/") and n.endswith(".yaml") for n in names)


def test_installed_wheel_names_themes_with_the_fake_server(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    # The dependencies come from this environment; feedbackiq itself must not (no editable finder,
    # no checkout on the path): a plain path entry does not run the .pth hooks of that folder.
    (site / "_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet",
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-3000:]
    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    ran = subprocess.run([str(py), "-c", SCRIPT], capture_output=True, text=True, cwd=work, env=env, timeout=600)
    assert ran.returncode == 0, ran.stderr[-4000:]
    assert "ok Longer battery life" in ran.stdout
    cli = subprocess.run([str(venv / "bin" / "feedbackiq"), "--version"], capture_output=True, text=True, cwd=work, env=env)
    assert cli.returncode == 0 and cli.stdout.strip(), cli.stderr[-2000:]
