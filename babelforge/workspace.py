"""An output and its work folder, claimed and locked for the length of one run (or one review export).

:class:`Workspace` checks that babelforge may write the output and ``OUTPUT.work/`` (see
:mod:`babelforge.ownership`), takes the run lock (:mod:`babelforge.runlock`) before anything else is
written there, gives each attempt its own staging folder, and at the end moves the work folder aside
while still holding the lock, so a run that starts next never sees it half-removed.
"""

from __future__ import annotations

import glob
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from babelforge.ownership import MARKER, claim_folder, inspect_path, write_marker
from babelforge.runlock import HOLDER, LOCK, TASKS, OutputBusyError, RunLock, require_no_orphans

#: Files of the work folder that survive when its contents are discarded for a fresh start.
KEPT_ON_RESET = {MARKER, LOCK, HOLDER, TASKS}


class Workspace:
    """The output folder of one run and its work folder.

    Args:
        output: the output folder.
        protected: paths that must never be replaced (the manifest, the inputs).
        overwrite: replace an output (or work) folder that babelforge did not make.
        option: the command-line option naming the output, for messages.
    """

    def __init__(self, output: str | os.PathLike, protected: Iterable[Path] = (), overwrite: bool = False,
                 option: str = "--output", read_folders: Iterable[Path] = ()):  # fmt: skip
        self.output = Path(os.path.abspath(os.path.expanduser(output)))
        self.work_dir = self.output.with_name(self.output.name + ".work")
        self.protected, self.overwrite, self.option = list(protected), overwrite, option
        self.read_folders = list(read_folders)
        self.attempt = uuid.uuid4().hex[:12]
        self.lock = RunLock(self.work_dir, self.output)
        self.notes: list[str] = []

    @property
    def attempt_dir(self) -> Path:
        """This attempt's own staging folder (the final folder is built here, then renamed into place)."""
        return self.work_dir / "attempts" / self.attempt

    def open(self) -> Workspace:
        """Claim the output and the work folder and take the lock; nothing is written before the checks.

        Raises:
            OutputError: when the output or work path holds something babelforge did not make.
            OutputBusyError: when another run holds the lock.
        """
        claim_folder(self.output, "output", protected=self.protected, overwrite=self.overwrite, option=self.option,
                     read_folders=self.read_folders)  # fmt: skip
        for attempt in range(3):
            try:
                self._claim_work_dir()
                break
            except FileNotFoundError:  # a run that just finished moved its work folder aside: claim anew
                if attempt == 2:
                    raise
        self.notes = [self.lock.note] if self.lock.note else []
        self._recover()
        return self

    def _claim_work_dir(self) -> None:
        work = claim_folder(self.work_dir, "work", protected=self.protected, overwrite=self.overwrite,
                            option=f"{self.option} (its work folder)", read_folders=self.read_folders)  # fmt: skip
        if work.state == "foreign":  # only with --overwrite
            shutil.rmtree(self.work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        # the marker before the lock file: a run starting beside this one sees a folder that is ours
        write_marker(self.work_dir, "work", output=str(self.output))
        self.lock.acquire()
        try:
            require_no_orphans(self.work_dir, self.output)
        except OutputBusyError:
            self.lock.release()
            raise

    def _recover(self) -> None:
        """Mend what a run killed at its very end left: an output moved aside, a work folder half-removed."""
        for trash in self.output.parent.glob(f"{glob.escape(self.work_dir.name)}.done-*"):
            if inspect_path(trash, "work").state == "ours":
                shutil.rmtree(trash, ignore_errors=True)
        if self.output.exists() or self.output.is_symlink():
            return
        for replaced in sorted(self.work_dir.glob("attempts/*/replaced")):
            # only where that attempt's new folder never went in (it is still staged): else the old is old
            staged = (replaced.parent / "final").is_dir()
            if staged and inspect_path(replaced, "output").state == "ours":
                os.replace(replaced, self.output)
                self.notes.append(f"restored {self.output}: an earlier run was stopped while replacing it")
                return

    def reset(self) -> None:
        """Discard the work of earlier attempts (the lock and the marker stay)."""
        for entry in self.work_dir.iterdir():
            if entry.name not in KEPT_ON_RESET:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()

    def publish(self, staging: Path) -> None:
        """Put ``staging`` in place of the output with renames; a replaced output goes only once the new one is in.

        Raises:
            OutputError: when something babelforge did not make appeared at the output path during the run.
        """
        claim = claim_folder(self.output, "output", protected=self.protected, overwrite=self.overwrite,
                             option=self.option)  # fmt: skip
        write_marker(staging, "output")
        self.output.parent.mkdir(parents=True, exist_ok=True)
        replaced = self.attempt_dir / "replaced"
        if claim.state != "absent":
            os.replace(self.output, replaced)
        os.replace(staging, self.output)
        if replaced.is_dir():
            shutil.rmtree(replaced, ignore_errors=True)
        elif replaced.exists():
            replaced.unlink()

    def close(self, remove_work: bool) -> None:
        """Release the lock; first move the work folder aside and remove it, when asked."""
        if remove_work and self.work_dir.is_dir() and inspect_path(self.work_dir, "work").state == "ours":
            trash = self.work_dir.with_name(f"{self.work_dir.name}.done-{self.attempt}")
            os.replace(self.work_dir, trash)
            self.lock.work_dir = trash
            self.lock.release()
            shutil.rmtree(trash, ignore_errors=True)
            return
        shutil.rmtree(self.attempt_dir, ignore_errors=True)
        self.lock.release()

    def __enter__(self) -> Workspace:
        return self.open()

    def __exit__(self, *exc) -> None:
        if self.lock._lock is not None:
            self.close(remove_work=False)
