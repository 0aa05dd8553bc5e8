"""Export of a million events to JSONL, beside parsing the same input alone.

    python bench/export_bench.py          # 1,000,000 events: 200,000 claims x 5 annotators
    python bench/export_bench.py --quick  # 100,000 events

Both figures come from child processes run here, one after the other, on the
same generated files: `parse_floor_s` is reading every line of every event file
with orjson (the fastest parser the project uses) and nothing else;
`export_s` is `annotate export --format jsonl` end to end in-process (corpus
load, units, decisions, records, writing, card). Peak memory is each child's
maximum resident set size.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PARSE = """
import resource, sys, time, orjson
from pathlib import Path
t = time.perf_counter()
loads = orjson.loads
n = 0
for path in sorted(Path(sys.argv[1]).glob('*.jsonl')):
    with path.open('rb') as handle:
        for line in handle:
            loads(line)
            n += 1
elapsed = time.perf_counter() - t
print(elapsed, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_EXPORT = """
import resource, sys, time
from pathlib import Path
t = time.perf_counter()
from annotate.export import ExportOptions, run_export
root = Path(sys.argv[1])
summary = run_export(ExportOptions(corpus=root / 'corpus', annotations=root / 'annotations', fmt='jsonl',
                                   out=root / 'out' / 'claims.jsonl', force=True, include_ties=True))
elapsed = time.perf_counter() - t
print(elapsed, summary.records, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
print(' '.join(f'{k}={v:.3f}' for k, v in summary.timings.items()))
"""


def _child(code: str, root: Path) -> tuple[float, int, float]:
    result = subprocess.run(
        [sys.executable, "-c", code, str(root)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    first, *rest = result.stdout.splitlines()
    elapsed, count, rss_kib = first.split()
    phases.clear()
    for line in rest:
        for item in line.split():
            name, value = item.split("=")
            phases[name] = float(value)
    return float(elapsed), int(count), int(rss_kib) / 1024


phases: dict[str, float] = {}


def run(quick: bool = False) -> dict[str, float]:
    """Generate the input, time the parse floor and the export; figures in seconds and MiB."""
    sys.path.insert(0, str(ROOT))
    from bench.export_input import generate

    claims = 20_000 if quick else 200_000
    per_article = 100
    with tempfile.TemporaryDirectory(prefix="annotate-export-bench-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        events = generate(root, claims // per_article, per_article, annotators=5)
        generated = time.perf_counter() - started
        (root / "out").mkdir()
        floor_s, parsed, floor_mib = _child(_PARSE, root / "annotations")
        export_s, records, export_mib = _child(_EXPORT, root)
        assert parsed == events
    return {
        "events": float(events),
        "records": float(records),
        "generate_s": round(generated, 2),
        "parse_floor_s": round(floor_s, 3),
        "export_s": round(export_s, 3),
        "export_ratio": round(export_s / floor_s, 2),
        "parse_floor_peak_mib": round(floor_mib, 1),
        "export_peak_mib": round(export_mib, 1),
        **{f"export_{name}_s": round(value, 3) for name, value in phases.items()},
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
