"""Benchmark: `annotate export --format jsonl` over a million events, beside the parse floor.

Input: the shared benchmark events (`bench.events`: 200,000 claims × 5
annotators = 1,000,000 events, the bytes `fold_bench` and `agreement_bench`
read, so the runner's `parse_floor_s` is this input's floor) and the 2,000
generated articles they label (`write_event_files(..., corpus=...)`).

- `export_s`: the real CLI entry point, `annotate export --corpus C
  --annotations A --out claims.jsonl --force --include-ties
  --include-not-a-claim` (every unit becomes a record: the most work), end to
  end: corpus, units, decisions, records, fsynced writes, agreement, card; in
  a fresh process, timed inside it once its modules are imported, as a
  user's `annotate export` runs (`agreement_bench.in_fresh_process`: it forks
  children). `export_in_process_s` is the same run repeated in this process.
- `export_floor_s`: reading the event files and parsing every line with orjson
  (as `fold_bench` measures `parse_floor_s`), measured here alternating with
  the export runs; `export_stream_floor_s` the same line by line.
- Wall and CPU ratios, best of runs alternating floor and export (the
  machine is shared); peak memory is the resident high-water mark (VmHWM) of a
  fresh process doing only that.
- `export_<phase>_s`: one more run split into its phases, to say where time
  goes: `read` (the articles and the events: children fold while this process
  reads the articles), records with their writes, agreement with the card;
  and `corpus_s`, reading the articles alone, apart.

    python -m bench.export_bench [--quick] [--json]

`run(quick)` returns the figures for `python -m bench` (--quick: 20,000 claims).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: `python bench/export_bench.py`
    sys.path.insert(0, str(ROOT))

from bench.agreement_bench import measure  # noqa: E402
from bench.events import sizes, write_event_files  # noqa: E402
from bench.script import main  # noqa: E402
from bench.workdir import scratch  # noqa: E402

OPTIONS = ["--format", "jsonl", "--force", "--include-ties", "--include-not-a-claim"]


def export_jsonl(root: Path) -> None:
    """`annotate export` of `root/annotations` against `root/corpus` to `root/out/claims.jsonl`, in process."""
    from annotate.cli import main

    (root / "out").mkdir(exist_ok=True)
    arguments = ["export", "--corpus", str(root / "corpus"), "--annotations", str(root / "annotations")]
    with contextlib.redirect_stderr(io.StringIO()):
        status = main([*arguments, "--out", str(root / "out" / "claims.jsonl"), *OPTIONS])
    if status != 0:
        raise RuntimeError(f"annotate export exited {status}")


def phases(root: Path) -> dict[str, float]:
    """One export with each phase timed: reading, records (with writes), agreement and card; the articles apart."""
    from annotate.cli import load_corpus
    from annotate.corpus import Corpus, discover
    from annotate.export import ExportOptions, export_dataset, plan_export
    from annotate.forked import default_jobs
    from annotate.units import load_units

    jobs = default_jobs()  # as the CLI's export_s run has them

    options = ExportOptions(
        corpus=root / "corpus",
        annotations=root / "annotations",
        fmt="jsonl",
        out=root / "out" / "claims.jsonl",
        force=True,
        include_ties=True,
        include_not_a_claim=True,
        jobs=jobs,
    )
    clock = time.perf_counter()
    load_corpus([options.corpus])
    corpus_s = time.perf_counter() - clock
    clock = time.perf_counter()
    plan = plan_export(options)
    corpus = Corpus(discover([options.corpus]))  # as the CLI does
    units = load_units([options.annotations], corpus, jobs=jobs)
    articles = corpus.articles
    read_s = time.perf_counter() - clock
    clock = time.perf_counter()
    summary = export_dataset(plan, articles, units)
    rest = time.perf_counter() - clock
    return {
        "corpus_s": round(corpus_s, 3),
        "read_s": round(read_s, 3),
        "records_s": round(summary.timings["records"], 3),
        "agreement_card_s": round(rest - summary.timings["records"], 3),
        "records": float(summary.records),
        "jobs": float(jobs),
        "out_mb": round((root / "out" / "claims.jsonl").stat().st_size / 1e6, 1),
    }


def run(quick: bool = False) -> dict[str, float]:
    """Every figure, flat and prefixed `export_`; `export_s` is the runner's key."""
    claims, annotators = sizes(quick)
    repeats = 2 if quick else 3
    root = scratch("export")
    try:
        events = root / "annotations"
        write_event_files(events, claims, annotators, corpus=root / "corpus")
        measured = measure(events, repeats, "bench.export_bench:export_jsonl", root)
        figures = {f"export_{key}": value for key, value in measured.items()}
        figures["export_events"] = float(claims * annotators)
        figures.update({f"export_{key}": value for key, value in phases(root).items()})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return figures


if __name__ == "__main__":
    main(run, __doc__.splitlines()[0])
