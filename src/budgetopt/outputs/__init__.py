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

from budgetopt.outputs.numbers import (
    FORMULA_STARTS,
    clean_floats,
    csv_text,
    json_text,
    plain_number,
    round_money,
)
from budgetopt.outputs.paths import PathLike, Paths, check_outputs
from budgetopt.outputs.reports import MANIFEST, ReportDir, claim_report_dir
from budgetopt.outputs.staging import OutputSet, write_csv, write_json

__all__ = [
    "FORMULA_STARTS", "MANIFEST", "OutputSet", "PathLike", "Paths", "ReportDir", "check_outputs", "claim_report_dir",
    "clean_floats", "csv_text", "json_text", "plain_number", "round_money", "write_csv", "write_json",
]
