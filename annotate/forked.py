"""Bulk work shared with forked child processes: a second core for reading and exporting.

Reading a million events and writing a dataset of them is pure Python work on
one core. On Linux, `annotate agreement` and `annotate export` fork children
that take a share of it (a run of the event files' lines, or pieces of the articles'
records taken in turn, `Tickets`) and send back what they made, pickled
through a pipe. A child inherits the parent's memory (the units read so far)
by fork, so nothing large is sent to it. Elsewhere (no fork, or macOS, where forking a process is unsafe
with some system libraries), or with `--jobs 1`, all the work stays in one
process, with the same result.

A child never writes to the terminal and leaves with `os._exit`, so it flushes
none of the parent's open files. What it raises comes back: an `AnnotateError`
or an `OSError` is raised again in the parent, as if the work had been done
there; anything else is a bug, and comes back as its traceback.
"""

from __future__ import annotations

import mmap
import os
import pickle
import select
import signal
import struct
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import Generic, TypeVar

from annotate.errors import AnnotateError

try:  # POSIX only: elsewhere nothing is forked (`can_fork`), and pipes keep their size.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

Report = Callable[[int], None]
"""Called with how much more work is done (bytes read, records written)."""

# The default --jobs is the usable CPUs up to this: the work splits into few
# parts (annotator files, article ranges), and each child copies the pages it touches.
MAX_DEFAULT_JOBS = 4


def can_fork() -> bool:
    """Whether work can be shared with forked children here."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def usable_cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def default_jobs() -> int:
    """The processes to use when --jobs is not given."""
    return min(MAX_DEFAULT_JOBS, usable_cpus()) if can_fork() else 1


def check_jobs(jobs: int) -> int:
    """`jobs` if it can be used here; 1 where there is no fork (the same result, in one process)."""
    if jobs < 1:
        raise AnnotateError(f"--jobs {jobs}: give 1 or more processes (1 does all the work in this one)")
    return jobs if can_fork() else 1


_COUNTER = struct.Struct("q")
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Child(Generic[T]):
    """A forked child running `work(report)`; `result()` waits for what it returns."""

    def __init__(self, work: Callable[[Report], T]) -> None:
        # The child's progress, in memory both processes share: the parent shows it.
        self._done = mmap.mmap(-1, _COUNTER.size)
        self._shown = 0
        read_end, write_end = os.pipe()
        # A result of megabytes crosses in a few writes, not one per 64 KiB (a context switch each).
        with suppress(OSError, AttributeError):  # Linux only (F_SETPIPE_SZ); and the size is capped
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 1 << 20)
        parent = os.getpid()
        try:
            self.pid = os.fork()
        except OSError as error:  # out of memory to copy the page tables, or at a process limit
            os.close(read_end)
            os.close(write_end)
            self._done.close()
            raise AnnotateError(
                f"cannot start a worker process ({error.strerror or error}); pass --jobs 1 to work in this one"
            ) from None
        if self.pid == 0:  # pragma: no cover - runs in the child, which leaves by os._exit
            os.close(read_end)
            _die_with(parent)
            _run_child(work, write_end, self._done)
        os.close(write_end)
        self._pipe: int | None = read_end

    def result(self, report: Report | None = None) -> T:
        """Wait for the child's value, passing its progress to `report`; raise what it raised."""
        chunks: list[bytes] = []
        pipe = self._pipe
        assert pipe is not None, "result() is taken once"
        while True:
            ready, _, _ = select.select([pipe], [], [], 0.1)
            if report is not None:
                self.show(report)
            if ready:
                chunk = os.read(pipe, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        # End of file: the child has sent everything, or was killed part-way.
        os.close(pipe)
        self._pipe = None
        status = 0
        with suppress(ChildProcessError):
            _, status = os.waitpid(self.pid, 0)
        if report is not None:
            self.show(report)
        self._done.close()
        try:
            if not chunks or os.WIFSIGNALED(status):
                raise EOFError
            kind, value = pickle.loads(b"".join(chunks))
        except Exception:  # cut short: whatever arrived is not a result
            raise AnnotateError(
                "a worker process ended without its result (killed, or out of memory?); "
                "run again, or pass --jobs 1 to do the work in one process"
            ) from None
        if kind == "ok":
            return value  # type: ignore[no-any-return]
        if kind == "error":
            raise value
        raise RuntimeError(f"a worker process failed:\n{value}")

    def show(self, report: Report) -> None:
        """Pass the child's progress since the last call to `report`."""
        (done,) = _COUNTER.unpack_from(self._done)
        if done > self._shown:
            report(done - self._shown)
            self._shown = done

    def ended(self) -> bool:
        """Whether the child has finished (its result is arriving) or died: `result()` then does not wait long."""
        if self._pipe is None:
            return True
        ready, _, _ = select.select([self._pipe], [], [], 0)
        return bool(ready)

    def stop(self) -> None:
        """End the child unless its result was taken, and reap it (safe to call twice)."""
        if self._pipe is None:
            return
        os.close(self._pipe)
        self._pipe = None
        self._done.close()
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


class Tickets:
    """The numbers 0 to `count` - 1, taken one at a time, in order, by this process and its children.

    For work cut into more pieces than processes, so that each process takes
    the next piece when it is free and all finish together, however unevenly
    the machine shares its cores. The numbers are bytes in a pipe that is
    filled and closed for writing before any child is forked: a one-byte read
    from a pipe cannot be split between readers, and an empty pipe reads as
    its end.
    """

    LIMIT = 255

    def __init__(self, count: int) -> None:
        if not 0 < count <= self.LIMIT:
            raise ValueError(f"{count} tickets: give 1 to {self.LIMIT}")
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, bytes(range(count)))  # far below a pipe's buffer: never blocks
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._pipe: int | None = read_end

    def take(self) -> int | None:
        """The next number, or None once all are taken."""
        assert self._pipe is not None, "the tickets are closed"
        got = os.read(self._pipe, 1)
        return got[0] if got else None

    def close(self) -> None:
        """Give up the pipe (safe to call twice)."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None


class SharedSizes:
    """Numbers (sizes in bytes) that processes publish for one another, in memory they all share.

    Each is set once, by the process that knows it, and read by any: created
    before forking, the memory is shared with every child. Each number is
    stored beside its complement and read back only when the two agree, so a
    read that overlaps the write (or sees it only in part) is "not yet", never
    a wrong number, whatever the processor's memory ordering.
    """

    _ENTRY = struct.Struct("qq")

    def __init__(self, count: int) -> None:
        # Zeroed memory: (0, 0) is not a number and its complement, so nothing is set yet.
        self._memory = mmap.mmap(-1, max(1, count) * self._ENTRY.size)

    def set(self, index: int, value: int) -> None:
        """Publish number `index`."""
        self._ENTRY.pack_into(self._memory, index * self._ENTRY.size, value, ~value)

    def get(self, index: int) -> int | None:
        """Number `index`, or None while it is not set."""
        value, check = self._ENTRY.unpack_from(self._memory, index * self._ENTRY.size)
        return value if check == ~value else None

    def run(self, start: int, count: int) -> list[int] | None:
        """Numbers `start` to `start + count - 1`, or None while any of them is not set."""
        found = []
        for index in range(start, start + count):
            value = self.get(index)
            if value is None:
                return None
            found.append(value)
        return found

    def close(self) -> None:
        """Give up the memory (safe to call twice)."""
        self._memory.close()


# What a child keeps to its end (`keep_to_exit`), and whether this process is one.
_KEPT: list[object] = []
_IN_CHILD = False


def keep_to_exit(value: object) -> None:
    """In a child, keep `value` alive to the end: it leaves by `os._exit`, which drops all its memory at once.

    Freed one by one before the result is sent, a few hundred thousand
    objects only delay it (0.03 s for the benchmark's spans). Elsewhere (work
    done in this process) nothing is kept: `value` is freed as usual.
    """
    if _IN_CHILD:
        _KEPT.append(value)


def start_children(works: Sequence[Callable[[Report], T]]) -> list[Child[T]]:
    """A Child for each work, or none: if one cannot start, those started are stopped first."""
    children: list[Child[T]] = []
    try:
        for work in works:
            children.append(Child(work))
    except BaseException:
        for child in children:
            child.stop()
        raise
    return children


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the child
    """Have the kernel end this child when its parent ends, even by kill -9, instead of running on alone."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(1)


def _run_child(work: Callable[[Report], object], pipe: int, shared: mmap.mmap) -> None:  # pragma: no cover
    """The child's whole life: do the work, send the outcome, leave without cleaning up the parent's state."""
    global _IN_CHILD
    _IN_CHILD = True
    status = 0
    try:
        done = 0

        def report(amount: int) -> None:
            nonlocal done
            done += amount
            _COUNTER.pack_into(shared, 0, done)

        try:
            outcome: tuple[str, object] = ("ok", work(report))
        except (AnnotateError, OSError) as error:
            outcome = ("error", error)
        except BaseException:  # a bug: the parent shows its traceback
            outcome = ("crash", traceback.format_exc())
        try:
            data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            data = pickle.dumps(("crash", traceback.format_exc()), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(pipe, view) :]
    except BaseException:
        status = 1
    finally:
        os._exit(status)
