"""notebooks/exploration.ipynb runs top to bottom, draws its figures, and is stored without outputs.

The notebook runs in a kernel of this very Python (a kernelspec written for the test, so a
``python3`` kernel installed elsewhere on the machine cannot be picked up instead), with a
small ``TAGGER_ROWS`` so that it takes well under two minutes.
"""

import base64
import json
import os
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "exploration.ipynb"
SHARED_DATA = ROOT.parent / "shared" / "data"
KERNEL = "tagger-test-python"


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "tagger tests", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    # the kernel imports tagger from this checkout even when it was not pip-installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("TAGGER_ROWS", "400")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebook's working folder lands here
    monkeypatch.delenv("TAGGER_DATA", raising=False)
    return KERNEL


def execute(kernel_name: str):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=kernel_name, timeout=300,
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    started = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - started


def images(nb) -> list[bytes]:
    return [base64.b64decode(output["data"]["image/png"])
            for cell in nb.cells if cell.cell_type == "code"
            for output in cell.outputs if "image/png" in output.get("data", {})]


def test_notebook_is_stored_without_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert str(ROOT) not in NOTEBOOK.read_text(encoding="utf-8")  # no machine-specific paths


def test_notebook_runs_top_to_bottom_and_draws_its_figures(kernel):
    nb, seconds = execute(kernel)
    assert seconds < 120
    errors = [output for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    pngs = images(nb)
    assert len(pngs) >= 3  # confusion matrix, per-section F1, strongest words
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000 for png in pngs)
    text = "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.outputs)
    assert "macro-F1" in text and "report:" in text


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the default run already used data/sample.csv")
def test_notebook_runs_on_the_sample_data(kernel, monkeypatch):
    monkeypatch.setenv("TAGGER_DATA", str(Path("..") / "data" / "sample.csv"))
    nb, _ = execute(kernel)
    assert len(images(nb)) >= 3
