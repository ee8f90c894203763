"""notebooks/walkthrough.ipynb runs top to bottom on the interpreter running the tests, so it cannot rot."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "walkthrough.ipynb"
#: seconds any one cell may take (the whole notebook takes about 4 s here)
CELL_TIMEOUT = 60


def test_walkthrough_notebook_runs_and_shows_its_figures(tmp_path, monkeypatch):
    # a kernel spec pinned to this interpreter, so the notebook tests the code under test
    spec = tmp_path / "kernels" / "budgetopt-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "budgetopt test", "language": "python"}))
    for variable, folder in (("TMPDIR", "tmp"), ("IPYTHONDIR", "ipython"), ("JUPYTER_RUNTIME_DIR", "runtime")):
        (tmp_path / folder).mkdir()
        monkeypatch.setenv(variable, str(tmp_path / folder))
    manager = KernelManager(kernel_name="budgetopt-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)]))

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, km=manager, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "more per day than yesterday's, in truth" in printed
    assert list((tmp_path / "tmp").glob("budgetopt-report-*/index.html"))
