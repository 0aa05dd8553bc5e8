"""Files replaced whole: written beside the target, then renamed over it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from annotate.store import fsync_folder


def replace_file(target: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `target` so that a reader sees the old file or the new one, never part of one.

    `durable` fsyncs the file and its folder before returning: on for what the user
    made (assignments), off for caches, which only cost time when lost. Raises
    OSError when the folder cannot be written; the target is then unchanged.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        fsync_folder(target.parent)
