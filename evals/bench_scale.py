"""End to end at scale: a review export of 10k / 100k / 1M rows through read_feedback -> find_themes.

    python evals/bench_scale.py [--sizes 10000 100000 1000000] [--embedder onnx-int8] [--workdir /tmp/feedbackiq-bench-scale]
    python evals/bench_scale.py --run --sizes 1000000     # the whole `feedbackiq run` (no LLM): every output file
    python evals/bench_scale.py --run --resume --sizes 1000000   # ... and then the same run resumed from its checkpoints

A benchmark: prints numbers, asserts nothing. Each size is first written as a CSV (review id,
date, rating, country, text; texts are real queries from the public eval sets, each with one word
dropped or two swapped, by ``bench_themes.iter_texts``), then read and themed in a FRESH process so
peak RSS is per size. Embedding is uncached (every distinct text is really embedded). Printed per
size: wall seconds per stage (ingest, embed, cluster, describe), distinct texts and texts/s,
RSS after ingest per item, peak RSS, and the time after embedding relative to embedding.

``--run`` measures the batch job instead: ``fiq.run`` (ingest, embed, themes, personas, report and
every output file: checkpoints, feedback.json, themes.json, CSV/Parquet tables, report.html), with
an empty embedding cache, printing seconds per stage from the run's manifest and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_themes import iter_texts  # noqa: E402

COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "CN", "JP"]


def write_export(path: Path, n: int, seed: int = 0) -> None:
    """A review export of ``n`` rows, streamed to disk (the texts never sit in memory at once)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["review_id", "date", "rating", "country", "review"])
        for i, text in enumerate(iter_texts(n, rng=rng)):
            w.writerow([f"r{i}", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", rng.randint(1, 5), rng.choice(COUNTRIES), text])


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def one_size(path: Path, embedder_name: str) -> dict:
    import feedbackiq as fiq
    from feedbackiq.embed import make_embedder

    base_mb = _rss_mb()
    t0 = time.perf_counter()
    fs = fiq.read_feedback(path)
    t_ingest = time.perf_counter() - t0
    ingest_mb = _rss_mb()
    emb = make_embedder(embedder_name, cache=False)
    emb.embed(["warm up"])   # loads (or exports) the model outside the timed stages
    t0 = time.perf_counter()
    report = fiq.find_themes(fs, embedder=emb)
    t_themes = time.perf_counter() - t0
    t = report.timings
    distinct = len({it.text for it in fs.items})
    total = t_ingest + t_themes
    return {"rows": fs.ledger.files[0].rows, "items": len(fs.items), "distinct": distinct, "ingest_s": t_ingest,
            "embed_s": t["embed"], "cluster_s": t["cluster"], "describe_s": t["describe"], "total_s": total,
            "texts_per_s": distinct / t["embed"], "items_per_s": len(fs.items) / total,
            "not_embed_share": (total - t["embed"]) / total, "after_embed_vs_embed": (total - t["embed"]) / t["embed"],
            "ingest_bytes_per_item": (ingest_mb - base_mb) * 2**20 / max(len(fs.items), 1),
            "themes": len(report.themes), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def one_run(path: Path, embedder_name: str, work: Path, resume: bool) -> dict:
    import os

    import feedbackiq as fiq

    os.environ["FEEDBACKIQ_CACHE_DIR"] = str(work / "cache")     # nothing embedded by an earlier run is reused
    for var in ("FEEDBACKIQ_LLM_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        os.environ.pop(var, None)
    from feedbackiq.embed import make_embedder

    if not resume:
        make_embedder(embedder_name).embed(["warm up"])   # a first use exports the ONNX model: not the run's time
    config = work / "feedbackiq.toml"
    config.write_text(f'[themes]\nembedding_model = "{embedder_name}"\n', encoding="utf-8")
    t0 = time.perf_counter()
    result = fiq.run(path, work / "run", config=config, resume=resume)
    total = time.perf_counter() - t0
    stages = {r.stage: r.seconds for r in result.manifest.stages if r.seconds}
    stages["report+outputs"] = total - sum(stages.values())     # written after the manifest's stage list
    sizes = {p.name: p.stat().st_size for p in (work / "run").iterdir() if p.is_file()}
    return {"items": result.manifest.items, "stages": stages, "total_s": total,
            "output_mb": sum(sizes.values()) / 2**20,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--embedder", default="onnx-int8", choices=["onnx-int8", "minilm"])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/feedbackiq-bench-scale"))
    ap.add_argument("--run", action="store_true", help="measure the whole `feedbackiq run` batch job")
    ap.add_argument("--resume", action="store_true", help="with --run: run again with --resume and measure that too")
    ap.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--resume-one", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        r = (one_run(args.one, args.embedder, args.work, args.resume_one) if args.run
             else one_size(args.one, args.embedder))
        print(json.dumps(r))
        return
    if args.run:
        import shutil
        import tempfile

        args.workdir.mkdir(parents=True, exist_ok=True)
        print(f"feedbackiq run, embedder {args.embedder}, no LLM; seconds per stage; each run in a fresh process"
              + ("; then --resume in another" if args.resume else ""), flush=True)
        for n in args.sizes:
            path = args.workdir / f"reviews_{n}.csv"
            if not path.exists():
                write_export(path, n)
            work = Path(tempfile.mkdtemp(prefix="bench-run-", dir=args.workdir))
            for resume in (False, True) if args.resume else (False,):
                cmd = [sys.executable, __file__, "--run", "--one", str(path), "--embedder", args.embedder,
                       "--work", str(work)] + (["--resume-one"] if resume else [])
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode:
                    print(f"{n:>8} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}", flush=True)
                    break
                r = json.loads(proc.stdout.strip().splitlines()[-1])
                embed = r["stages"].get("embed", 0.0)
                stages = "  ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
                print(f"{r['items']:>8} items{' (resumed)' if resume else ''}: {stages}  | total {r['total_s']:.1f} s, "
                      f"not embedding {100 * (r['total_s'] - embed) / r['total_s']:.1f}%, outputs "
                      f"{r['output_mb']:.0f} MB, peak RSS {r['peak_rss_mb']:.0f} MB", flush=True)
            shutil.rmtree(work, ignore_errors=True)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"embedder {args.embedder}; seconds per stage; each size in a fresh process", flush=True)
    print(f"{'rows':>8} {'distinct':>8} {'ingest':>7} {'embed':>7} {'cluster':>7} {'describe':>8} {'total':>7} "
          f"{'texts/s':>7} {'not-embed':>9} {'after/embed':>11} {'B/item':>7} {'themes':>6} {'peak RSS MB':>11}", flush=True)
    for n in args.sizes:
        path = args.workdir / f"reviews_{n}.csv"
        if not path.exists():
            write_export(path, n)
        proc = subprocess.run([sys.executable, __file__, "--one", str(path), "--embedder", args.embedder],
                              capture_output=True, text=True)
        if proc.returncode:
            print(f"{n:>8} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}", flush=True)
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{r['rows']:>8} {r['distinct']:>8} {r['ingest_s']:>7.1f} {r['embed_s']:>7.1f} {r['cluster_s']:>7.1f} "
              f"{r['describe_s']:>8.1f} {r['total_s']:>7.1f} {r['texts_per_s']:>7.0f} {100 * r['not_embed_share']:>8.1f}% "
              f"{100 * r['after_embed_vs_embed']:>10.1f}% {r['ingest_bytes_per_item']:>7.0f} {r['themes']:>6} "
              f"{r['peak_rss_mb']:>11.0f}", flush=True)


if __name__ == "__main__":
    main()
