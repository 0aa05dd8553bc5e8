"""The scratch folder a benchmark run writes to, on the same disk as the project."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bench.articles import ROOT


def scratch(name: str) -> Path:
    """A fresh folder for one benchmark, under `$BENCH_WORKDIR` (default: `.bench/` in the project).

    Not /tmp: a tmpfs there would make fsync free and the label figures meaningless.
    """
    base = Path(os.environ.get("BENCH_WORKDIR") or ROOT / ".bench")
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=base))
