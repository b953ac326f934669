"""A run folder read back: the results ``run`` returned, from the files it wrote.

The commands that continue a run (``personas``, ``translate``, ``score``) read their inputs here too.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from feedbackiq._errors import CheckpointError
from feedbackiq._hashing import input_hash
from feedbackiq.pipeline._checkpoint import CheckpointStore
from feedbackiq.pipeline._run import RunResult
from feedbackiq.types import CardScores, FeatureTranslation, FeedbackSet, LLMOutcome, PersonaSet, RunManifest, ThemeReport

__all__ = ["load_run", "load_run_report", "load_gtm_outputs"]


def load_run(run_dir: str | os.PathLike) -> RunResult:
    """The results of a finished run (``fiq.run`` or ``feedbackiq run``) in ``run_dir``, as ``run`` returned them.

    Parameters
    ----------
    run_dir : path
        The run folder (``--out``).

    Returns
    -------
    RunResult
        ``report`` (the :class:`ThemeReport`, its items in ``report.feedback``), ``personas``, ``translations``
        and ``scores`` (``None`` when the run had no such step), ``manifest``, ``llm_outcomes`` and ``paths``.
        Only the files the run's manifest lists are read: a file an earlier run left in the folder is not.

    Raises
    ------
    CheckpointError
        The folder holds no finished run (no ``manifest.json`` or no ``themes.json``).

    Examples
    --------
    >>> import feedbackiq as fiq
    >>> result = fiq.load_run("runs/demo")                      # doctest: +SKIP
    >>> result.report.needs[0].name, result.scores.cards[0].status  # doctest: +SKIP
    """
    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    if not path.is_file():
        raise CheckpointError(f"{path} not found: not a finished run; run `feedbackiq run EXPORTS --out {run_dir}` first")
    manifest = RunManifest.model_validate_json(path.read_bytes())
    listed = {name: run_dir / rel for name, rel in manifest.outputs.items()}
    personas = _load(listed.get("personas_json"), PersonaSet.model_validate_json)
    translations = _load(listed.get("translations_json"), _translations)
    scores = _load(listed.get("scorecard_json"), CardScores.model_validate_json)
    outcomes = [LLMOutcome.model_validate(o) for o in manifest.llm.get("outcomes", [])]
    return RunResult(run_dir=run_dir, report=load_run_report(run_dir), personas=personas, translations=translations,
                     scores=scores, manifest=manifest, llm_outcomes=outcomes, paths=listed)


def load_run_report(run_dir: str | os.PathLike) -> ThemeReport:
    """The ThemeReport a `feedbackiq themes` or `feedbackiq run` wrote into ``run_dir``, with its items.

    The items come from the run's ingest checkpoint when it holds the ones the themes were found in
    (same input hash): Parquet columns read back as compact as ingest made them, where parsing
    feedback.json builds every item anew (several GB at a million rows). Else from feedback.json.
    """
    run_dir = Path(run_dir)
    path = run_dir / "themes.json"
    if not path.exists():
        raise CheckpointError(f"{path} not found: run `feedbackiq themes FILE... --out {run_dir}` first")
    report = ThemeReport.model_validate_json(path.read_bytes())
    if report.feedback is None:
        report.feedback = checkpointed_feedback(run_dir, report.input_hash)
    return report if report.feedback is not None else ThemeReport.from_json(path)


def checkpointed_feedback(run_dir: Path, wanted_hash: str) -> FeedbackSet | None:
    """The newest ingest checkpoint of ``run_dir`` whose items hash to ``wanted_hash``, or None."""
    store = CheckpointStore(run_dir)
    for key in store.saved_keys("ingest"):
        fs = store.load_model("ingest", key, FeedbackSet)
        if fs is not None and input_hash(fs.items) == wanted_hash:
            return fs
    return None


def load_gtm_outputs(run_dir: str | os.PathLike) -> tuple[PersonaSet | None, list[FeatureTranslation] | None]:
    """personas.json and translations.json from `feedbackiq personas` / `translate`, when the run has them."""
    run_dir = Path(run_dir)
    personas_path, translations_path = run_dir / "personas.json", run_dir / "translations.json"
    return (_load(personas_path if personas_path.exists() else None, PersonaSet.model_validate_json),
            _load(translations_path if translations_path.exists() else None, _translations))


def _translations(text: str) -> list[FeatureTranslation]:
    return [FeatureTranslation.model_validate(x) for x in json.loads(text)]


def _load(path: Path | None, parse):
    if path is None:
        return None
    if not path.is_file():
        raise CheckpointError(f"{path} not found, though the run wrote it (manifest.json lists it)")
    return parse(path.read_text(encoding="utf-8"))
