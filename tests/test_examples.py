"""The notebooks in examples/ run top to bottom in a real Jupyter kernel.

Each notebook asserts its own key numbers in `assert` cells, so a notebook whose
numbers drift fails here. They run on copies in a temporary folder (nothing is written
into the repository), and they are stored without outputs.
"""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest
from jupyter_kernel import REPO, mime_outputs, run

EXAMPLES = REPO / "examples"
NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))


def test_there_are_the_lecture_notebooks():
    assert len(NOTEBOOKS) >= 8, NOTEBOOKS
    for name in (
        "01_iris_tutorial",
        "02_penguins_workflow",
        "03_backpropagation_by_hand",
        "04_playground",
        "05_training_experiments",
        "06_mnist_subset",
        "07_mnist_cnn",
        "08_lstm_sequence",
    ):
        assert f"{name}.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{name} has stored outputs: clear them (Kernel > Restart & Clear Output)."
            )
    assert any("assert " in c.source for c in nb.cells if c.cell_type == "code"), name


def test_readme_links_every_notebook():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\(examples/([^)]+\.ipynb)\)", readme))
    assert linked == set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_its_numbers_hold(name, tmp_path, monkeypatch):
    shutil.copy(EXAMPLES / name, tmp_path / name)
    nb = nbformat.read(tmp_path / name, as_version=4)
    monkeypatch.setenv("NNLAB_QUICK", "1")  # the CNN and LSTM notebooks' reduced runs
    client = run(nb, tmp_path, monkeypatch, timeout=180)
    cells = [c for c in client.nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in cells)  # every cell ran
    assert sum(len(mime_outputs(c, "image/png")) for c in cells) >= 1  # pictures show
    # the repository copy is untouched
    assert nbformat.read(EXAMPLES / name, as_version=4).cells[0].get("outputs", []) == []
