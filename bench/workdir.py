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


def child_env(folder: Path, **extra: str) -> dict[str, str]:
    """The environment for a benchmark's child process: as a user's, with compiled bytecode.

    A user's Python caches each module's bytecode after the first import; an
    environment with PYTHONDONTWRITEBYTECODE set (some CI images, this project's
    sandbox) recompiles the whole package in every process, which is not what
    a start-up benchmark should measure. Bytecode goes to `folder/pycache`
    (PYTHONPYCACHEPREFIX), not into the source tree, and is removed with the
    scratch folder; the bare app's child gets the same environment.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env
