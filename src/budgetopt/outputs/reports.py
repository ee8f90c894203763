"""A report folder the program owns: its manifest lists what it wrote (with sha256), files it did not
write need force, and only files it wrote and nobody changed since are ever deleted."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from budgetopt.outputs.paths import PathLike, os_failure, refusal, shown

MANIFEST = ".budgetopt-report.json"


def is_ours(path: Path, digest: str) -> bool:
    """Whether `path` is a plain file (not a symlink) holding the bytes whose sha256 is `digest`."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode) and hashlib.sha256(path.read_bytes()).hexdigest() == digest
    except OSError:
        return False


def read_manifest(folder: Path) -> dict[str, str]:
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
            raise refusal(option, path, "it is a file, not a folder; name a folder")
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        return ReportDir(option, folder, {})
    except OSError as error:
        raise os_failure(error, option, path) from None
    previous = read_manifest(folder)
    foreign = [n for n in names if n != MANIFEST and not (n in previous and is_ours(folder / n, previous[n]))]
    if foreign and not force:
        listed = ", ".join(map(shown, foreign[:3])) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise refusal(option, path, f"it holds files budgetopt did not write ({listed}); choose a new or "
                      "empty folder, or pass --force to write beside them (they are kept)")
    return ReportDir(option, folder, previous)
