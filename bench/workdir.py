"""The scratch folder a benchmark run writes to, on the same disk as the project."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
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


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a benchmark's child process: as a user's, bytecode cached.

    A user's Python caches each module's bytecode in `__pycache__` after the
    first import (pip compiles installed packages at install). An environment
    with PYTHONDONTWRITEBYTECODE set (some CI images, this project's sandbox)
    recompiles this package in every process, while Textual's modules come
    precompiled from the install: a start-up benchmark would then measure the
    compiler. So children run without it, and the package is compiled once
    before the first child (its `__pycache__` folders are git-ignored).
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    _compile_package()
    return env


@functools.cache
def _compile_package() -> None:
    """Compile the package's bytecode once per benchmark run (compileall writes it whatever the environment)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "annotate")], check=True)
