"""Run notebooks in a real Jupyter kernel for the tests (nbclient + ipykernel).

The kernel runs this test process's interpreter (a kernelspec written to a temporary
folder, so a system-wide "python3" kernel cannot be picked by mistake) with the
repository first on PYTHONPATH, and without MPLBACKEND, so that ipykernel chooses the
inline backend exactly as it does for a student.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
KERNEL = "nnlab-test-python3"


def kernel_env(spec_root: Path) -> dict:
    """Write the kernelspec under spec_root; return the environment for the kernel."""
    spec = spec_root / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(spec_root), env.get("JUPYTER_PATH")]))
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


class CountingClient(NotebookClient):
    """A NotebookClient that counts the kernel's display updates per cell."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.updates: dict[int, int] = {}

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") == "update_display_data":
            self.updates[cell_index] = self.updates.get(cell_index, 0) + 1
        return super().process_message(msg, cell, cell_index)


def run(nb, workdir: Path, monkeypatch, timeout: int = 120) -> CountingClient:
    """Execute `nb` (a NotebookNode) in workdir; errors in a cell fail the test."""
    env = kernel_env(workdir / ".jupyter-spec")
    monkeypatch.setenv("JUPYTER_PATH", env["JUPYTER_PATH"])
    client = CountingClient(
        nb,
        timeout=timeout,
        startup_timeout=120,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env)
    return client


def notebook(*sources: str):
    """A notebook of code cells."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def mime_outputs(cell, mime: str) -> list:
    """The outputs of a cell that carry `mime` (e.g. image/png)."""
    return [o for o in cell.get("outputs", []) if mime in o.get("data", {})]
