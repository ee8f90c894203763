"""Output paths checked before any work: an output is never an input, another output, or anything but a
regular file, and an OS failure becomes one line that says what to do."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from budgetopt.errors import OutputError

PathLike = str | os.PathLike
Paths = Mapping[str, PathLike | None] | Iterable[tuple[str, PathLike | None]]

_FREE, _PERMIT = "free space on the disk holding {folder}, or choose another folder", "choose a folder you can write to"
_REASONS = {
    errno.ENOSPC: ("the disk is full", _FREE),
    getattr(errno, "EDQUOT", -1): ("the disk quota is used up", _FREE),
    **dict.fromkeys((errno.EACCES, errno.EPERM), ("permission denied", _PERMIT + ", or change the rights on {folder}")),
    errno.EROFS: ("the file system is read-only", _PERMIT + " on a writable disk"),
    errno.ENAMETOOLONG: ("the name is too long for the file system", "choose a shorter name"),
    errno.ENOTDIR: ("a parent folder is a file", "choose another path"),
}


def shown(path: PathLike) -> str:
    """A path for a one-line message (repr when it holds a newline or another control character)."""
    text = os.fsdecode(path)
    return text if text.isprintable() else repr(text)


def refusal(option: str, path: PathLike, problem: str) -> OutputError:
    return OutputError(f"cannot write {option} {shown(path)}: {problem}", path=os.fsdecode(path))


def os_failure(error: OSError, option: str, path: PathLike, folder: PathLike | None = None) -> OutputError:
    """An OSError as one line: what failed, which path, what to do."""
    reason, advice = _REASONS.get(error.errno, (error.strerror or str(error), "check the path, then rerun"))
    folder = folder if folder is not None else Path(os.path.abspath(path)).parent
    return refusal(option, path, f"{reason}; {advice.format(folder=shown(folder))}")


@dataclass(frozen=True)
class Target:
    """An output as asked (option, path) and as it will land (dest; its (dev, inode) if it exists)."""

    option: str
    path: PathLike
    dest: Path
    ident: tuple[int, int] | None
    folder: Path  # the nearest folder that exists now


def labelled(paths: Paths | None) -> list[tuple[str, PathLike]]:
    items = paths.items() if isinstance(paths, Mapping) else (paths or ())
    return [(label, path) for label, path in items if path is not None]


def identity(path: PathLike) -> tuple[int, int] | None:
    with contextlib.suppress(OSError):
        st = os.stat(path)
        return st.st_dev, st.st_ino
    return None


def resolve_target(option: str, path: PathLike) -> Target:
    """Resolve one output; refuse what can never be written: not a regular file, under a file, a long name."""
    if not os.fspath(path) or os.fsdecode(path).endswith(("/", os.sep)):
        raise refusal(option, path, "that is not a file name; name a file")
    try:
        st = os.stat(path)  # through symlinks, also the /proc ones behind /dev/stdout
    except OSError as error:
        if error.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG):  # not "nothing there yet"
            raise os_failure(error, option, path) from None
        st = None
    if st is not None and not stat.S_ISREG(mode := st.st_mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "a device or socket"
        raise refusal(option, path, f"it is {what}, not a regular file; name a file (only files are written)")
    dest = Path(os.path.realpath(path))
    if st is not None and identity(dest) != (st.st_dev, st.st_ino):  # /dev/stdout onto a deleted temp file
        raise refusal(option, path, "it leads to a file without a name of its own; name a file")
    folder = next(above for above in dest.parents if os.path.lexists(above))
    if not os.path.isdir(folder):
        raise refusal(option, path, f"{shown(folder)} is a file, not a folder; choose another path")
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")  # -1: no limit
    except (OSError, ValueError):
        limit = 255
    if limit > 0 and any(len(os.fsencode(part)) > limit for part in dest.relative_to(folder).parts):
        raise refusal(option, path, f"a name is longer than the {limit} bytes {shown(folder)} allows; "
                      "choose a shorter name")
    return Target(option, path, dest, (st.st_dev, st.st_ino) if st else None, folder)


def check_targets(outputs: Paths, inputs: Paths | None) -> list[Target]:
    """Every output resolved; refused when it is an input or when two outputs are one file."""
    sources = [(label, source, Path(os.path.realpath(source)), identity(source)) for label, source in labelled(inputs)]
    seen: list[Target] = []
    for option, path in labelled(outputs):
        target = resolve_target(option, path)
        for label, source, real, ident in sources:
            if target.dest == real or (ident is not None and ident == target.ident):
                raise refusal(option, path, f"it is the same file as the input {label} {shown(source)}, "
                              "which writing it would destroy; choose another path")
        for other in seen:
            if other.dest == target.dest or (target.ident is not None and other.ident == target.ident):
                raise OutputError(f"{other.option} and {option} both name {shown(target.dest)}; "
                                  "give each output its own path", path=str(target.dest))
        seen.append(target)
    return seen


def check_outputs(outputs: Paths, inputs: Paths | None = None) -> list[Path]:
    """Refuse bad output paths before any work: an input, a duplicate, not a regular file, a name too
    long, a parent that is a file, a folder we cannot create files in. Returns where each will land."""
    targets = check_targets(outputs, inputs)
    for target in targets:
        try:  # the honest writability test (access() is wrong for root, ACLs, read-only mounts)
            tempfile.TemporaryFile(dir=target.folder).close()
        except OSError as error:
            raise os_failure(error, target.option, target.path, target.folder) from None
    return [target.dest for target in targets]
