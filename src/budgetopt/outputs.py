"""Every file a run writes, written so that nothing the user had is lost (issue 19).

`check_outputs` refuses bad paths before the work; `OutputSet` stages each output in a hidden
temporary file beside it and renames all into place only once all were written, so a failure
leaves every folder as it was. An OS failure becomes one `OutputError` line: option, path, what to do.

- An output that is an input (same resolved path, or same device and inode: hard links, `./x`,
  symlinks) or that another output also names is refused before anything is written.
- Only regular files are written. A symlink is written through (its target gets the content, the
  link stays a link). Folders, FIFOs, sockets and devices, also behind a symlink (/dev/stdout), are
  refused: none can be replaced atomically, and a rename would swap a device for a plain file.
  No '-' for stdout: the CLI prints its tables there.
- A report folder is ours when each file in it is listed, with the sha256 we wrote, in its
  `.budgetopt-report.json`; other files need force=True and are kept (unless a report file has their
  name). Only listed plain files directly in it that still hold the listed bytes are ever deleted.
- CSV text cells starting like a formula get an apostrophe (OWASP); files get 0o666 & ~umask, like open().
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import secrets
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, BinaryIO, Self

import numpy as np
import pandas as pd

from budgetopt.errors import OutputError

PathLike = str | os.PathLike
Paths = Mapping[str, PathLike | None] | Iterable[tuple[str, PathLike | None]]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MANIFEST = ".budgetopt-report.json"
os.umask(_UMASK := os.umask(0))  # reading the umask means setting it: put it straight back
_PERMISSIONS = 0o666 & ~_UMASK  # what open() gives a new file
_FREE, _PERMIT = "free space on the disk holding {folder}, or choose another folder", "choose a folder you can write to"
_REASONS = {
    errno.ENOSPC: ("the disk is full", _FREE),
    getattr(errno, "EDQUOT", -1): ("the disk quota is used up", _FREE),
    **dict.fromkeys((errno.EACCES, errno.EPERM), ("permission denied", _PERMIT + ", or change the rights on {folder}")),
    errno.EROFS: ("the file system is read-only", _PERMIT + " on a writable disk"),
    errno.ENAMETOOLONG: ("the name is too long for the file system", "choose a shorter name"),
    errno.ENOTDIR: ("a parent folder is a file", "choose another path"),
}


def _show(path: PathLike) -> str:
    """A path for a one-line message (repr when it holds a newline or another control character)."""
    text = os.fsdecode(path)
    return text if text.isprintable() else repr(text)


def _refuse(option: str, path: PathLike, problem: str) -> OutputError:
    return OutputError(f"cannot write {option} {_show(path)}: {problem}", path=os.fsdecode(path))


def _os_error(error: OSError, option: str, path: PathLike, folder: PathLike | None = None) -> OutputError:
    """An OSError as one line: what failed, which path, what to do."""
    reason, advice = _REASONS.get(error.errno, (error.strerror or str(error), "check the path, then rerun"))
    folder = folder if folder is not None else Path(os.path.abspath(path)).parent
    return _refuse(option, path, f"{reason}; {advice.format(folder=_show(folder))}")


@dataclass(frozen=True)
class _Target:
    """An output as asked (option, path) and as it will land (dest; its (dev, inode) if it exists)."""

    option: str
    path: PathLike
    dest: Path
    ident: tuple[int, int] | None
    folder: Path  # the nearest folder that exists now


def _pairs(paths: Paths | None) -> list[tuple[str, PathLike]]:
    items = paths.items() if isinstance(paths, Mapping) else (paths or ())
    return [(label, path) for label, path in items if path is not None]


def _ident(path: PathLike) -> tuple[int, int] | None:
    with contextlib.suppress(OSError):
        st = os.stat(path)
        return st.st_dev, st.st_ino
    return None


def _target(option: str, path: PathLike) -> _Target:
    """Resolve one output; refuse what can never be written: not a regular file, under a file, a long name."""
    if not os.fspath(path) or os.fsdecode(path).endswith(("/", os.sep)):
        raise _refuse(option, path, "that is not a file name; name a file")
    try:
        st = os.stat(path)  # through symlinks, also the /proc ones behind /dev/stdout
    except OSError as error:
        if error.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):  # not "nothing there yet"
            raise _os_error(error, option, path) from None
        st = None
    if st is not None and not stat.S_ISREG(mode := st.st_mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise _refuse(option, path, f"it is {what}, not a regular file; name a file (only files are written)")
    dest = Path(os.path.realpath(path))
    if st is not None and _ident(dest) != (st.st_dev, st.st_ino):  # /dev/stdout onto a deleted temp file
        raise _refuse(option, path, "it leads to a file without a name of its own; name a file")
    folder = next(above for above in dest.parents if os.path.lexists(above))
    if not os.path.isdir(folder):
        raise _refuse(option, path, f"{_show(folder)} is a file, not a folder; choose another path")
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")  # -1: no limit
    except (OSError, ValueError):
        limit = 255
    if limit > 0 and any(len(os.fsencode(part)) > limit for part in dest.relative_to(folder).parts):
        raise _refuse(option, path, f"a name is longer than the {limit} bytes {_show(folder)} allows; "
                      "choose a shorter name")
    return _Target(option, path, dest, (st.st_dev, st.st_ino) if st else None, folder)


def _check_targets(outputs: Paths, inputs: Paths | None) -> list[_Target]:
    """Every output resolved; refused when it is an input or when two outputs are one file."""
    sources = [(label, source, Path(os.path.realpath(source)), _ident(source)) for label, source in _pairs(inputs)]
    seen: list[_Target] = []
    for option, path in _pairs(outputs):
        target = _target(option, path)
        for label, source, real, ident in sources:
            if target.dest == real or (ident is not None and ident == target.ident):
                raise _refuse(option, path, f"it is the same file as the input {label} {_show(source)}, "
                              "which writing it would destroy; choose another path")
        for other in seen:
            if other.dest == target.dest or (target.ident is not None and other.ident == target.ident):
                raise OutputError(f"{other.option} and {option} both name {_show(target.dest)}; "
                                  "give each output its own path", path=str(target.dest))
        seen.append(target)
    return seen


def check_outputs(outputs: Paths, inputs: Paths | None = None) -> list[Path]:
    """Refuse bad output paths before any work: an input, a duplicate, not a regular file, a name too
    long, a parent that is a file, a folder we cannot create files in. Returns where each will land."""
    targets = _check_targets(outputs, inputs)
    for target in targets:
        try:  # the honest writability test (access() is wrong for root, ACLs, read-only mounts)
            tempfile.TemporaryFile(dir=target.folder).close()
        except OSError as error:
            raise _os_error(error, target.option, target.path, target.folder) from None
    return [target.dest for target in targets]


def _protect(text: str) -> str:
    """Text that cannot start like a formula, nor end a CSV row early (a bare CR becomes a quoted LF)."""
    text = "'" + text if text.startswith(FORMULA_STARTS) else text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def round_money(x: float) -> float:
    """`x` to the cent, half to even, on its 15-significant-digit decimal form so float noise cannot
    tip a tie (2.675 -> 2.68, 0.125 -> 0.12, 443.62499999999994 -> 443.62); -0.0 becomes 0.0."""
    x = float(x)
    if not math.isfinite(x) or abs(x) >= 1e15:  # no cents left to round at that size
        return x
    return float(Decimal(f"{x:.15g}").quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)) + 0.0


def plain_number(x: float, digits: int = 10) -> str:
    """A float with up to `digits` significant digits and never an exponent: 1848300.0 -> '1848300',
    1e-12 -> '0.000000000001'; below 1e-15 (float noise in anything budgetopt writes) '0'; NaN ''."""
    x = float(x)
    if not math.isfinite(x):
        return "" if math.isnan(x) else "inf" if x > 0 else "-inf"
    return "0" if abs(x) < 1e-15 else format(Decimal(f"{x:.{digits}g}"), "f")


def csv_text(frame: pd.DataFrame, *, money: Iterable[str] = (), counts: Iterable[str] = ()) -> str:
    """A spreadsheet-safe CSV: `money` columns to the cent with two decimals, `counts` as whole numbers (half
    to even), other floats by `plain_number`, integers as integers, missing cells empty, text and headers by
    `_protect`. Names in `money` or `counts` the frame lacks are ignored: one tuple serves several tables."""
    money, counts, types = set(money), set(counts), pd.api.types
    table = frame.copy()
    table.columns = [_protect(str(name)) for name in frame.columns]
    for i, name in enumerate(frame.columns):
        kind = frame.dtypes.iloc[i]
        if types.is_bool_dtype(kind) or types.is_datetime64_any_dtype(kind):
            continue
        if not types.is_numeric_dtype(kind):  # text, or mixed: numbers plain, text protected
            fmt = lambda x: plain_number(x) if isinstance(x, float | np.floating) else (
                str(x) if isinstance(x, int | np.integer | np.bool_) else _protect(str(x)))
        elif name in money:
            fmt = lambda x: f"{round_money(x):.2f}"
        elif name in counts:
            fmt = lambda x: str(round(float(x)))
        elif types.is_float_dtype(kind):
            fmt = plain_number
        else:
            continue
        table.isetitem(i, frame.iloc[:, i].astype(object).map(lambda x, f=fmt: "" if pd.isna(x) is True else f(x)))
    return table.to_csv(index=False, lineterminator="\n")


def clean_floats(obj: Any, digits: int = 12) -> Any:
    """A JSON-ready copy: floats to `digits` significant digits (443.62499999999994 -> 443.625; 12 keep every
    cent below 10 billion, so parts still add up), NaN and inf -> None, numpy -> Python, tuples -> lists."""
    if isinstance(obj, float | np.floating):
        return float(f"{float(obj):.{digits}g}") + 0.0 if math.isfinite(obj) else None
    if isinstance(obj, np.generic):  # numpy ints and bools
        return obj.item()
    if isinstance(obj, Mapping):
        return {key: clean_floats(value, digits) for key, value in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [clean_floats(value, digits) for value in obj]
    return obj


def json_text(data: Any) -> str:
    """`data` as indented UTF-8 JSON after `clean_floats` (so never the invalid NaN), ending in a newline."""
    return json.dumps(clean_floats(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _ours(path: Path, digest: str) -> bool:
    """Whether `path` is a plain file (not a symlink) holding the bytes whose sha256 is `digest`."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode) and hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def _manifest(folder: Path) -> dict[str, str]:
    """What the last report in `folder` wrote (name -> sha256), keeping only bare names of files in it."""
    try:
        path = folder / MANIFEST
        files = json.loads(path.read_bytes()).get("files") if stat.S_ISREG(os.lstat(path).st_mode) else {}
    except (OSError, ValueError, AttributeError):  # none, not JSON, not a JSON object
        return {}
    return {name: digest for name, digest in (files if isinstance(files, dict) else {}).items()
            if isinstance(name, str) and name not in ("", ".", "..", MANIFEST) and not set(name) & set("/\\\0")
            and isinstance(digest, str)}


@dataclass(frozen=True)
class ReportDir:
    """A folder a report may be written into; `previous` is what the last report there wrote (name -> sha256)."""

    option: str
    path: Path
    previous: Mapping[str, str]


def claim_report_dir(path: PathLike, *, force: bool = False, option: str = "--report") -> ReportDir:
    """Check that a report folder is new, empty or holds only what budgetopt wrote there; other files
    need force=True (and are kept). Creates nothing: `OutputSet` makes the folder when it writes."""
    folder = Path(os.path.realpath(path))
    try:
        if not stat.S_ISDIR(os.stat(folder).st_mode):
            raise _refuse(option, path, "it is a file, not a folder; name a folder")
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return ReportDir(option, folder, {})
    except OSError as error:
        raise _os_error(error, option, path) from None
    previous = _manifest(folder)
    foreign = [n for n in names if n != MANIFEST and not (n in previous and _ours(folder / n, previous[n]))]
    if foreign and not force:
        shown = ", ".join(map(_show, foreign[:3])) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise _refuse(option, path, f"it holds files budgetopt did not write ({shown}); choose a new or "
                      "empty folder, or pass --force to write beside them (they are kept)")
    return ReportDir(option, folder, previous)


def _replace_all(staged: Sequence[tuple[_Target, str]]) -> None:
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
                raise _os_error(error, target.option, target.path) from None
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
        self._inputs = _pairs(inputs)
        self._reports = list(reports)
        self._staged: list[tuple[_Target, str]] = []
        self._digests: dict[Path, str] = {}  # sha256 of what is staged, by destination
        self._made: list[Path] = []
        self._closed: str | None = None  # why nothing more can be added

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        (self.commit if kind is None else self.discard)()

    def add(self, option: str, path: PathLike, write: Callable[[BinaryIO], object]) -> Path:
        """Stage the file `write(handle)` produces for `path`; returns where it will land."""
        if self._closed:
            raise _refuse(option, path, self._closed)
        try:
            target = _check_targets([*((t.option, t.path) for t, _ in self._staged), (option, path)], self._inputs)[-1]
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
                raise _os_error(error, option, path) from None
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
            _check_targets([(t.option, t.path) for t, _ in self._staged], self._inputs)
            _replace_all(self._staged)
        except BaseException:
            self.discard()
            raise
        self._closed = "the outputs were already written"
        for stale, digest in [(r.path / name, d) for r in self._reports for name, d in r.previous.items()]:
            if stale not in self._digests and _ours(stale, digest):  # the last report's, untouched since
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
