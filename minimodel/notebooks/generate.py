"""`just notebooks`: generate each break's learner and solution notebook from one template, the capstone and the
drill notebook from their cells; detect drift."""
from __future__ import annotations

import inspect
from pathlib import Path

import nbformat

from minimodel.catalogue import Break, load_catalogue
from minimodel.catalogue.sources import fix_imports, healthy_source, stub_imports, stub_source
from minimodel.files import write_text
from minimodel.notebooks import capstone, drill_notebook
from minimodel.notebooks.template import CELLS, INTRO, SOLUTION_INTRO

ROOT = Path(__file__).resolve().parents[2]  # the repository: notebooks/, solutions/, breaks/
OUTDATED = "notebooks are outdated, run `just notebooks`"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
OWN_CELLS = {capstone.PATH: capstone.CELLS, drill_notebook.PATH: drill_notebook.CELLS}  # notebooks no break owns


def _fix_cell(brk: Break, solved: bool) -> str:
    names = list(brk.replaces)
    lines = fix_imports(names) if solved else stub_imports(names)
    head = ("\n".join(lines) + "\n\n\n") if lines else ""
    bodies = [healthy_source(n) if solved else stub_source(n, brk.replaces[n]) for n in names]
    code = head + "\n\n".join(bodies)
    arg = names[0] if len(names) == 1 else "{" + ", ".join(f'"{n}": {n}' for n in names) + "}"
    check = f"report = lab.verify_fix(TAG, {arg})" + ("\nassert report.fixed, report.message" if solved else "")
    return code + "\n\n" + check


def _fix_intro(brk: Break) -> str:
    names = list(brk.replaces)
    which = (f"the seam `{names[0]}`" if len(names) == 1
             else "the seams " + ", ".join(f"`{n}`" for n in names))
    goal = ("keeps the detectors quiet, as the healthy code does" if brk.expect == "no-effect"
            else "removes the symptom")
    return (f"Write {which}: the function(s) with the same signature as the broken code, so that "
            f"training {goal}. Replace the `raise NotImplementedError` line with your code.\n\n"
            "Run the cell: `verify_fix` trains again with your version plugged in and reads the same "
            "detectors. Until you write it, the cell just reports *not fixed yet*.")


SOLUTION_FIX = ("The fix, written out. `verify_fix` trains again with it plugged in and reads the same "
                "detectors; the assert fails the notebook unless the symptom is gone.")


def _broken_source(brk: Break) -> str:
    """Each replaced seam's broken code as a Python block, under the seam it replaces."""
    parts = []
    for name, fn in brk.replaces.items():
        head = f"In place of the seam `{name}`:\n\n" if len(brk.replaces) > 1 else ""
        parts.append(f"{head}```python\n{inspect.getsource(fn).rstrip()}\n```")
    return "\n\n".join(parts)


def from_cells(cells, metadata: dict | None = None) -> nbformat.NotebookNode:
    """A notebook from (cell id, kind, text) tuples, with fixed ids and no outputs."""
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    meta = {"kernelspec": KERNEL, "language_info": {"name": "python"}} | (metadata or {})
    nb = nbformat.v4.new_notebook(cells=[make[kind](text, id=cell_id) for cell_id, kind, text in cells], metadata=meta)
    nbformat.validate(nb)
    return nb


def build(brk: Break, solved: bool = False) -> nbformat.NotebookNode:
    """The notebook for one break (the learner's, or the solution with the fix filled in)."""
    values = {"tag": brk.tag, "phase": brk.phase, "module": brk.module,
              "intro": SOLUTION_INTRO if solved else INTRO[brk.expect],
              "fix_intro": SOLUTION_FIX if solved else _fix_intro(brk),
              "fix_source": _fix_cell(brk, solved), "change": brk.change, "broken_source": _broken_source(brk)}
    cells = [(cell_id, kind, text.format(**values) if "{" in text else text) for cell_id, kind, text in CELLS]
    return from_cells(cells, {"minimodel": {"break": brk.tag}})  # grading reads which break it is


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def expected(root: Path = ROOT, catalogue: list[Break] | None = None) -> dict[Path, str]:
    """Every generated file and its exact content: each break's two notebooks, the capstone, the drill."""
    files = {root / path: render(from_cells(cells)) for path, cells in OWN_CELLS.items()}
    for brk in load_catalogue() if catalogue is None else catalogue:
        files[root / "notebooks" / f"{brk.slug}.ipynb"] = render(build(brk))
        files[root / "solutions" / brk.slug / "solution.ipynb"] = render(build(brk, solved=True))
    return files


def _generated_on_disk(root: Path) -> list[Path]:
    """Files that look generated: notebooks/*.ipynb and solutions/*/solution.ipynb."""
    return sorted([*(root / "notebooks").glob("*.ipynb"), *(root / "solutions").glob("*/solution.ipynb")])


def outdated(root: Path = ROOT, catalogue: list[Break] | None = None) -> list[str]:
    """Generated files that are missing, differ from the template's output, or belong to no break."""
    want = expected(root, catalogue)
    out = [f"{p.relative_to(root)} is missing" for p in want if not p.exists()]
    out += [f"{p.relative_to(root)} differs from the generated version" for p, text in want.items()
            if p.exists() and p.read_text() != text]
    out += [f"{p.relative_to(root)} belongs to no break" for p in _generated_on_disk(root) if p not in want]
    return out


def write_all(root: Path = ROOT, catalogue: list[Break] | None = None, echo=print) -> int:
    """Write every notebook; remove those of breaks that no longer exist. Returns files changed."""
    want = expected(root, catalogue)
    changed = 0
    for path, text in want.items():
        if path.exists() and path.read_text() == text:
            continue
        write_text(path, text)
        echo(f"wrote {path.relative_to(root)}")
        changed += 1
    for path in _generated_on_disk(root):
        if path not in want:
            path.unlink()
            echo(f"removed {path.relative_to(root)} (its break is gone)")
            changed += 1
            if path.parent.name != "notebooks" and not any(path.parent.iterdir()):
                path.parent.rmdir()
    echo(f"{len(want)} notebooks, {len(want) - len(OWN_CELLS)} of them for the breaks; {changed} changed")
    return changed

