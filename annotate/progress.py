"""A progress bar for long CLI work: shown on a terminal, silent when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Below this many items the work takes well under a second: no bar.
THRESHOLD = 2000


@contextmanager
def progress(total: int, description: str, threshold: int = THRESHOLD) -> Iterator[Callable[[int], None]]:
    """Yield `tick(n)`, which advances a rich progress bar on stderr.

    The bar appears only when stderr is a terminal and `total` is at least
    `threshold`; otherwise `tick` does nothing, so piped output stays clean.
    """
    if total < threshold or not sys.stderr.isatty():

        def idle(n: int = 1) -> None:
            pass

        yield idle
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with bar:
        task = bar.add_task(description, total=total)

        def tick(n: int = 1) -> None:
            bar.advance(task, n)

        yield tick
