"""One run per output at a time: an exclusive lock in the work folder, taken before anything is written.

The lock is :class:`filelock.FileLock` (``flock``) on ``OUTPUT.work/run.lock``; ``holder.json`` beside it
names the holder (host, pid, start time) for the message a second run gets. The kernel drops a flock
when its process dies, so the lock of a killed run is free at once; finding the holder record of a dead
process on this host, the next run takes over with a note.

On shared file systems (a Slurm cluster's), ``flock`` holds across nodes where the file system
supports it: NFSv4, Lustre mounted with ``flock``, GPFS, BeeGFS. Where it does not, filelock falls
back to a lock file made with ``O_EXCL``, which any file system honours; a run that died on another
node then leaves the lock in place, and its ``holder.json`` says whose it was (remove ``run.lock``
once that job is surely gone).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path

from babelforge.errors import BabelforgeError

LOCK = "run.lock"
HOLDER = "holder.json"
TASKS = "tasks.lock"
PR_SET_PDEATHSIG = 1


class OutputBusyError(BabelforgeError):
    """Another run holds the output's lock."""


class RunLock:
    """The exclusive lock of one output's work folder.

    Attributes:
        note: a line for the user when the lock was taken over from a run that died, else ``""``.
    """

    def __init__(self, work_dir: Path, output: Path):
        self.work_dir, self.output = work_dir, output
        self.note = ""
        self._lock = None

    def acquire(self) -> RunLock:
        """Take the lock at once, or raise :class:`OutputBusyError` naming the holder."""
        from filelock import FileLock, Timeout

        self._lock = FileLock(str(self.work_dir / LOCK), timeout=0)
        try:
            self._lock.acquire()
        except Timeout:
            self._lock = None
            raise OutputBusyError(
                f"another run is writing {self.output} ({describe(read_holder(self.work_dir))}); "
                "wait for it to finish, or stop it; two runs never share an output"
            ) from None
        if not self._holds_the_file():
            self._lock.release()
            self._lock = None
            # a run that just finished moved the folder aside after this one opened the lock file in it
            raise FileNotFoundError(f"{self.work_dir / LOCK} was moved aside while it was locked")
        previous = read_holder(self.work_dir)
        if previous and previous.get("host") == socket.gethostname() and not process_alive(previous.get("pid")):
            self.note = f"took over the lock of a run that stopped without releasing it ({describe(previous)})"
        _write_holder(self.work_dir)
        return self

    def _holds_the_file(self) -> bool:
        """Whether the file locked is still the one at ``work_dir/run.lock`` (not a folder moved aside)."""
        try:
            here = os.stat(self.work_dir / LOCK)
        except FileNotFoundError:
            return False
        fd = getattr(getattr(self._lock, "_context", None), "lock_file_fd", None)
        if not isinstance(fd, int):
            return True  # a lock without a descriptor to compare (filelock's soft lock): the path is all there is
        held = os.fstat(fd)
        return (held.st_dev, held.st_ino) == (here.st_dev, here.st_ino)

    def release(self) -> None:
        if self._lock is not None:
            (self.work_dir / HOLDER).unlink(missing_ok=True)
            self._lock.release()
            self._lock = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def task_lock(work_dir: Path):
    """Held (shared) by each task while it runs; :func:`require_no_orphans` checks that none holds it."""
    try:
        handle = open(work_dir / TASKS, "a")  # noqa: SIM115 - closed below
        fcntl.flock(handle, fcntl.LOCK_SH)
    except OSError:  # a file system without flock (some shared ones): the run lock alone must do
        yield
        return
    try:
        yield
    finally:
        handle.close()


def require_no_orphans(work_dir: Path, output: Path) -> None:
    """Raise when tasks of an earlier run of this output still run (their parent was killed alone)."""
    path = work_dir / TASKS
    if not path.exists():
        return
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusyError(
                f"tasks of an earlier run of {output} are still running (their run was stopped without them): "
                f"wait a moment for them to end, or stop them (`fuser -k {path}`), then run again"
            ) from None
        except OSError:
            return
        fcntl.flock(handle, fcntl.LOCK_UN)


def die_with_parent() -> None:
    """Ask Linux to end this task process when its parent dies, so no task outlives a killed run."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def read_holder(work_dir: Path) -> dict:
    try:
        return json.loads((work_dir / HOLDER).read_text())
    except (OSError, ValueError):
        return {}


def describe(holder: dict) -> str:
    if not holder:
        return "holder unknown"
    return f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"


def _write_holder(work_dir: Path) -> None:
    record = {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    partial = work_dir / f"{HOLDER}.{os.getpid()}"
    partial.write_text(json.dumps(record))
    os.replace(partial, work_dir / HOLDER)


def process_alive(pid) -> bool:
    """Whether process ``pid`` runs on this host (one we may not signal counts as running)."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
