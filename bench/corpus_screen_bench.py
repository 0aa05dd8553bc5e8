"""Benchmark the corpus screen: ready time with 10,000 articles (1,000 with --quick).

Each figure is a fresh `python` process, timed from spawn:
- `corpus_ready_s`: `annotate open FOLDER` until the corpus screen lists every
  article (list drawn), best of the runs that find the metadata cache;
  `corpus_ready_cold_s` the first run, which reads every front matter;
- `corpus_floor_s`: a bare Textual app starting and exiting, the floor;
- `corpus_counted_s` (full run only): until the worker processes have counted
  claims and progress for every article, from a cold segmentation cache (this is
  sentence segmentation, done in the background while the list is usable);
- `corpus_move_ms`, `corpus_filter_ms`: a cursor move and one keystroke of the
  incremental filter over the whole list while counting runs, beside
  `corpus_key_floor_ms`, a key that does nothing (Pilot's own cost).

    python bench/corpus_screen_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def _child_bare() -> None:
    from textual.app import App
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("ready")

    async def auto_pilot(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        print(json.dumps({"ready": time.time()}), flush=True)
        pilot.app.exit()

    Bare().run(headless=True, size=(120, 40), auto_pilot=auto_pilot)


def _child_corpus(corpus: str, annotations: str, interact: bool, count_all: bool) -> None:
    from annotate.cli import make_app
    from annotate.tui.screens.corpus import CorpusScreen

    painted: list[float] = []
    start_counting = CorpusScreen.start_counting

    def first_paint(screen: CorpusScreen) -> None:
        # The screen starts counting right after its first frame with the list is drawn.
        painted.append(time.time())
        start_counting(screen)

    CorpusScreen.start_counting = first_paint  # type: ignore[method-assign,assignment]
    app = make_app([Path(corpus)], "bench", Path(annotations))

    async def auto_pilot(pilot) -> None:  # type: ignore[no-untyped-def]
        while not isinstance(app.screen, CorpusScreen) or not app.screen.shown or not painted:
            await pilot.pause()
        figures: dict[str, float] = {"ready": painted[0], "rows": float(len(app.screen.shown))}
        if interact:
            # Keys while the worker is counting in the background, as an annotator meets them.
            # Medians of 7: "z" has no binding (the cost of one key through Pilot, the floor).
            for key, name in (("z", "key_floor_ms"), ("down", "move_ms")):
                times = []
                for _ in range(7):
                    start = time.perf_counter()
                    await pilot.press(key)
                    await pilot.pause()
                    times.append((time.perf_counter() - start) * 1000)
                figures[name] = statistics.median(times)
            await pilot.press("slash")
            await pilot.pause()
            start = time.perf_counter()
            await pilot.press("e")  # matches nearly every generated title: the whole list is refilled
            await pilot.pause()
            figures["filter_ms"] = (time.perf_counter() - start) * 1000
        if count_all:
            rows = app.screen.rows
            while any(row.claims is None and not row.problem for row in rows.values()):
                await pilot.pause(0.05)
            figures["counted"] = time.time()
        print(json.dumps(figures), flush=True)
        app.exit()

    app.run(headless=True, size=(120, 40), auto_pilot=auto_pilot)


def _spawn(*args: str, cache: Path | None = None) -> tuple[float, dict[str, float]]:
    from bench.workdir import child_env

    env = child_env()
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    start = time.time()
    result = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=1800,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-800:])
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return start, figures


def run(quick: bool = False) -> dict[str, float]:
    """Ready time of the corpus screen beside a bare Textual app, and the time to count every article."""
    from bench.corpus_articles import write_corpus
    from bench.workdir import scratch

    count = 1_000 if quick else 10_000
    folder = scratch("corpus-screen")
    try:
        corpus = folder / "corpus"
        write_corpus(corpus, count)
        annotations = str(folder / "annotations")
        floors = []
        readies = []
        for _ in range(3):
            start, figures = _spawn("--child", "bare")
            floors.append(figures["ready"] - start)
            # The first run reads every front matter; later ones find them in the metadata cache.
            start, figures = _spawn("--child", "corpus", str(corpus), annotations, cache=folder / "cache")
            readies.append(figures["ready"] - start)
            if figures["rows"] != count:
                raise RuntimeError(f"listed {figures['rows']} of {count} articles")
        _, keys = _spawn("--child", "corpus", str(corpus), annotations, "--interact", cache=folder / "cache")
        counted: dict[str, float] = {}
        if not quick:
            # A segmentation cache of its own: counting starts cold, as on a new corpus.
            start, figures = _spawn(
                "--child",
                "corpus",
                str(corpus),
                annotations,
                "--count-all",
                cache=folder / "cold-cache",
            )
            counted["corpus_counted_s"] = round(figures["counted"] - start, 2)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    floor = min(floors)
    warm = min(readies[1:])
    return {
        "corpus_articles": float(count),
        "corpus_ready_s": round(warm, 3),
        "corpus_ready_cold_s": round(readies[0], 3),
        "corpus_floor_s": round(floor, 3),
        "corpus_ready_ratio": round(warm / floor, 2),
        "corpus_ready_cold_ratio": round(readies[0] / floor, 2),
        **counted,
        "corpus_move_ms": round(keys["move_ms"], 1),
        "corpus_filter_ms": round(keys["filter_ms"], 1),
        "corpus_key_floor_ms": round(keys["key_floor_ms"], 1),
    }


def main() -> None:
    """Print the figures (or run one child process)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 articles instead of 10,000")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--count-all", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--interact", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "bare":
            _child_bare()
        else:
            _child_corpus(args.child[1], args.child[2], args.interact, args.count_all)
        return
    figures = run(args.quick)
    print(f"corpus screen, {int(figures['corpus_articles']):,} articles (from process start)")
    print(
        f"  ready, metadata cached   {figures['corpus_ready_s']:8.2f} s   ({figures['corpus_ready_ratio']:.2f}x)"
    )
    print(
        f"  ready, first open        {figures['corpus_ready_cold_s']:8.2f} s   "
        f"({figures['corpus_ready_cold_ratio']:.2f}x)"
    )
    print(f"  bare Textual app         {figures['corpus_floor_s']:8.2f} s")
    if "corpus_counted_s" in figures:
        print(
            f"  claims counted (all)     {figures['corpus_counted_s']:8.2f} s   (background; list usable meanwhile)"
        )
    print(
        f"  keys while counting: move {figures['corpus_move_ms']:.0f} ms, filter {figures['corpus_filter_ms']:.0f} ms "
        f"(a key with no action: {figures['corpus_key_floor_ms']:.0f} ms)"
    )


if __name__ == "__main__":
    main()
