"""The outputs of one run, all or nothing: each staged in a hidden temporary file beside it, all renamed
into place only once every one was written, and put back as they were if a rename fails."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Self

import pandas as pd

from budgetopt.errors import OutputError
from budgetopt.outputs.numbers import csv_text, json_text
from budgetopt.outputs.paths import (
    PathLike,
    Paths,
    Target,
    check_targets,
    labelled,
    os_failure,
    refusal,
)
from budgetopt.outputs.reports import MANIFEST, ReportDir, is_ours

os.umask(_UMASK := os.umask(0))  # reading the umask means setting it: put it straight back
_PERMISSIONS = 0o666 & ~_UMASK  # what open() gives a new file
_COMMITTED = "the outputs were already written"


def _replace_all(staged: Sequence[tuple[Target, str]]) -> None:
    """Rename every staged file into place, in order, keeping each previous file aside (a hard link, or
    a rename where links are not allowed) until all are in; on a failure put back all it replaced."""
    done: list[tuple[Path, str | None]] = []  # (destination, where what it held is kept)
    for target, tmp in staged:
        dest, backup = target.dest, None
        try:
            if os.path.lexists(dest):
                backup = str(dest.parent / f".{dest.name[:40]}.{secrets.token_hex(4)}.bak")
                try:
                    os.link(dest, backup)
                except OSError:
                    os.replace(dest, backup)
            os.replace(tmp, dest)
        except BaseException as error:  # also Ctrl-C between two renames
            for placed, previous in reversed([*done, (dest, backup)] if backup else done):
                with contextlib.suppress(OSError):  # best effort, last first
                    if previous is None:
                        placed.unlink(missing_ok=True)  # a new file: gone
                    else:
                        os.replace(previous, placed)  # the previous file: back in place
                        Path(previous).unlink(missing_ok=True)  # renaming onto its own hard link leaves it
            if isinstance(error, OSError):
                raise os_failure(error, target.option, target.path) from None
            raise
        done.append((dest, backup))
    for folder in {dest.parent for dest, _ in done}:
        with contextlib.suppress(OSError):  # make the renames durable
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    for backup in filter(None, (backup for _, backup in done)):
        with contextlib.suppress(OSError):
            os.unlink(backup)


class OutputSet:
    """The outputs of one run, all or nothing. Each `add` checks its path and writes a temporary file
    beside it; leaving the `with` block normally renames all into place, an exception removes them all."""

    def __init__(self, inputs: Paths | None = None, *, reports: Sequence[ReportDir] = ()) -> None:
        self._inputs = labelled(inputs)
        self._reports = list(reports)
        self._staged: list[tuple[Target, str]] = []
        self._digests: dict[Path, str] = {}  # sha256 of what is staged, by destination
        self._made: list[Path] = []
        self._closed: str | None = None  # why nothing more can be added

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:
            self.discard()
        elif self._closed != _COMMITTED:  # committed by hand inside the block: nothing left to do
            self.commit()

    def add(self, option: str, path: PathLike, write: Callable[[BinaryIO], object]) -> Path:
        """Stage the file `write(handle)` produces for `path`; returns where it will land."""
        if self._closed:
            raise refusal(option, path, self._closed)
        try:
            target = check_targets([*((t.option, t.path) for t, _ in self._staged), (option, path)], self._inputs)[-1]
            self._made += [above for above in target.dest.parents if len(above.parts) > len(target.folder.parts)]
            os.makedirs(target.dest.parent, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.dest.parent, prefix=f".{target.dest.name[:40]}.", suffix=".tmp")
            self._staged.append((target, tmp))
            with os.fdopen(fd, "w+b") as handle:
                os.fchmod(handle.fileno(), _PERMISSIONS)  # mkstemp makes files private; outputs are shared
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
                handle.seek(0)
                self._digests[target.dest] = hashlib.file_digest(handle, "sha256").hexdigest()  # for a manifest
        except BaseException as error:
            self.discard(f"nothing was written, since {option} failed")
            if isinstance(error, OSError):
                raise os_failure(error, option, path) from None
            raise
        return target.dest

    def bytes(self, option: str, path: PathLike, data: bytes) -> Path:
        return self.add(option, path, lambda handle: handle.write(data))

    def text(self, option: str, path: PathLike, text: str) -> Path:
        return self.bytes(option, path, text.encode("utf-8"))

    def json(self, option: str, path: PathLike, data: Any) -> Path:
        return self.text(option, path, json_text(data))

    def csv(self, option: str, path: PathLike, frame: pd.DataFrame, *, money: Iterable[str] = (),
            counts: Iterable[str] = ()) -> Path:
        return self.text(option, path, csv_text(frame, money=money, counts=counts))

    def commit(self) -> list[Path]:
        """Check every path again, add each report folder's manifest, rename everything into place."""
        if self._closed:
            raise OutputError(self._closed)
        for report in self._reports:
            files = {dest.name: digest for dest, digest in self._digests.items() if dest.parent == report.path}
            self.json(report.option, report.path / MANIFEST, {"written_by": "budgetopt", "files": files})
        try:
            check_targets([(t.option, t.path) for t, _ in self._staged], self._inputs)
            _replace_all(self._staged)
        except BaseException:
            self.discard()
            raise
        self._closed = _COMMITTED
        for stale, digest in [(r.path / name, d) for r in self._reports for name, d in r.previous.items()]:
            if stale not in self._digests and is_ours(stale, digest):  # the last report's, untouched since
                with contextlib.suppress(OSError):  # a stale figure left behind loses nothing
                    stale.unlink()
        return [target.dest for target, _ in self._staged]

    def discard(self, why: str = "nothing was written") -> None:
        """Remove every staged file and every folder made for them; nothing is renamed."""
        if self._closed:
            return
        self._closed = why
        deepest_first = sorted(self._made, key=lambda folder: len(folder.parts), reverse=True)
        for remove, path in [(os.unlink, tmp) for _, tmp in self._staged] + [(os.rmdir, d) for d in deepest_first]:
            with contextlib.suppress(OSError):  # already gone; a folder someone else put a file in stays
                remove(path)


def write_csv(path: PathLike, frame: pd.DataFrame, *, money: Iterable[str] = (), option: str = "output", inputs: Paths | None = None) -> Path:
    """One CSV written alone, atomically (see `csv_text` for the numbers)."""
    with OutputSet(inputs) as outputs:
        return outputs.csv(option, path, frame, money=money)


def write_json(path: PathLike, data: Any, *, option: str = "output", inputs: Paths | None = None) -> Path:
    """One JSON file written alone, atomically (see `json_text`)."""
    with OutputSet(inputs) as outputs:
        return outputs.json(option, path, data)
