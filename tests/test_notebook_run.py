"""Executing a report template (servqual.notebook_run): the notebook papermill writes holds the
injected parameters and every cell's outputs; a failing cell fails the step with that cell's
error, the notebook written up to it; the kernel and its clients' channels are gone either way."""

from __future__ import annotations

import sys

import nbformat
import psutil
import pytest
from papermill.exceptions import PapermillExecutionError

from servqual.notebook_run import QuietKernel, execute_template, without_modules

TEMPLATE = """\
# %% [markdown]
# A template.

# %% tags=["parameters"]
greeting = "hello"

# %%
from IPython.display import HTML, display

display(HTML(f"<p>{greeting}</p>"))
"""


def kernels() -> set[int]:
    return {child.pid for child in psutil.Process().children(recursive=True)}


def test_the_executed_notebook_holds_the_parameters_and_the_outputs(tmp_path, monkeypatch):
    clients = []
    made = QuietKernel.client
    monkeypatch.setattr(QuietKernel, "client", lambda self, **kw: clients.append(made(self, **kw)) or clients[-1])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "template.py").write_text(TEMPLATE, encoding="utf-8")
    before = kernels()
    executed = execute_template(tmp_path / "template.py", tmp_path / "out.ipynb", {"greeting": "bonjour"})
    written = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert [c.metadata.get("tags") for c in written.cells if c.cell_type == "code"] == [
        ["parameters"], ["injected-parameters"], []]
    assert 'greeting = "bonjour"' in written.cells[2].source
    assert written.cells[3].outputs[0]["data"]["text/html"] == "<p>bonjour</p>"
    assert written.metadata.papermill.parameters == {"greeting": "bonjour"}
    assert executed.cells[3].outputs == written.cells[3].outputs
    assert not (tmp_path / "out.template.ipynb").exists()
    assert kernels() <= before
    # A client collected with its channels open logs "Could not destroy zmq context".
    assert clients and not any(client.channels_running for client in clients)


def test_a_failing_cell_fails_with_its_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "template.py").write_text(TEMPLATE + '\n# %%\nraise ValueError("no table wave9")\n',
                                          encoding="utf-8")
    before = kernels()
    with pytest.raises(PapermillExecutionError, match="no table wave9"):
        execute_template(tmp_path / "template.py", tmp_path / "out.ipynb", {})
    written = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert written.cells[-1].outputs[-1]["ename"] == "ValueError"
    assert kernels() <= before


def test_blocked_modules_are_importable_again_after_the_block(monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    with without_modules(("colorsys",)), pytest.raises(ImportError):
        import colorsys
    import colorsys

    assert colorsys.rgb_to_hsv(1, 0, 0) == (0, 1, 1)
