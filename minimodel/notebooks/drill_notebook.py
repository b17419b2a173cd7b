"""`notebooks/drill.ipynb`, the blind drill, generated like the others: fixed cell ids, no outputs, no break named."""
from __future__ import annotations

from pathlib import Path

import nbformat

from minimodel.notebooks.generate import KERNEL, ROOT, one_outdated, write_one

PATH = Path("notebooks") / "drill.ipynb"

CELLS = [
    ("title", "markdown", """\
# Blind drill: diagnose breaks you cannot see

You are dealt a few training runs under opaque ids (`drill-1`, `drill-2`, ...). Each has one realistic bug
switched on; nothing here says which. For each id, read its dashboard beside a healthy control that
learned the task, ask for detector readouts one at a time (each request is logged with its time), and
seal a diagnosis: the cause, the evidence that showed it, and how sure you are. The reveal comes after.

Your deal is yours: it depends on your name and the class's secret, so a classmate's ids hide other
breaks in another order. Put your name in `LEARNER` (letters, digits, `.`, `_`, `-`)."""),
    ("deal", "code", """\
from minimodel import drill

LEARNER = drill.default_learner()  # or your name, e.g. LEARNER = "ada"

IDS = drill.open_deal(LEARNER)"""),

    ("dashboards-md", "markdown", """\
## 1. Dashboards

Per id: the first training rows as the run's own pipeline builds them (inputs, and the targets the
loss sees), the training loss of both runs with the entropy floor, attention heatmaps beside the
healthy control's, and teacher-forced (TF) against autoregressive (AR) metrics with samples. Each id
trains once (seconds); the healthy controls are shared."""),
    ("dashboards", "code", """\
for drill_id in IDS:
    drill.dashboard(LEARNER, drill_id)"""),

    ("request-md", "markdown", """\
## 2. Ask for readouts

A detector's readout is shown only when you ask for it, on the id and on the healthy control, and
every request is logged. These are the detectors you may ask for:"""),
    ("detectors", "code", "drill.describe()"),
    ("request", "code", """\
if IDS:
    drill.request(LEARNER, IDS[0], "leak_test")  # any id, any detector above"""),
    ("request-panel", "code", "drill.request_panel(LEARNER, IDS)"),

    ("diagnose-md", "markdown", """\
## 3. Seal your diagnoses

For each id: the cause (a change under its seam, or a seam alone), the evidence that showed it (panels
or detectors), and how sure you are. Every seal is kept; the last one before the reveal is graded."""),
    ("diagnose", "code", "drill.diagnose(LEARNER, IDS)"),

    ("reveal-md", "markdown", """\
## 4. The reveal

When every id is sealed, reveal the breaks: `drill.reveal(LEARNER, confirm=True)` below, or `just drill
reveal --learner NAME` in a terminal. The reveal is recorded; a diagnosis sealed after it is flagged.
Then open each break's own notebook to fix it."""),
    ("reveal", "code", "drill.reveal(LEARNER)"),
]


def build() -> nbformat.NotebookNode:
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    cells = [make[kind](text, id=cell_id) for cell_id, kind, text in CELLS]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def outdated(root: Path = ROOT) -> list[str]:
    return one_outdated(root, PATH, build())


def write(root: Path = ROOT) -> bool:
    return write_one(root, PATH, build())
