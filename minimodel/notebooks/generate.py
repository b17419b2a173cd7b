"""`just notebooks`: generate each break's learner and solution notebook from one template; detect drift."""
from __future__ import annotations

import inspect
import os
from pathlib import Path

import nbformat

from minimodel.catalogue import Break, load_catalogue
from minimodel.catalogue.sources import fix_imports, healthy_source, stub_imports, stub_source
from minimodel.notebooks.template import CELLS, INTRO, SOLUTION_INTRO

ROOT = Path(__file__).resolve().parents[2]  # the repository: notebooks/, solutions/, breaks/
OUTDATED = "notebooks are outdated, run `just notebooks`"
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
OTHER_GENERATORS = {"checkup.ipynb": "minimodel.notebooks.capstone",  # notebooks/ files no break owns
                    "drill.ipynb": "minimodel.notebooks.drill_notebook"}


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


def build(brk: Break, solved: bool = False) -> nbformat.NotebookNode:
    """The notebook for one break (the learner's, or the solution with the fix filled in)."""
    values = {"tag": brk.tag, "phase": brk.phase, "module": brk.module,
              "intro": SOLUTION_INTRO if solved else INTRO[brk.expect],
              "fix_intro": SOLUTION_FIX if solved else _fix_intro(brk),
              "fix_source": _fix_cell(brk, solved), "change": brk.change, "broken_source": _broken_source(brk)}
    cells = []
    for cell_id, kind, text in CELLS:
        source = text.format(**values) if "{" in text else text
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cells.append(make(source, id=cell_id))
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"},
                                                          "minimodel": {"break": brk.tag}})  # grading reads it
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def one_outdated(root: Path, rel: Path, nb: nbformat.NotebookNode) -> list[str]:
    """A notebook no break owns (the capstone, the drill): missing, or not what its generator writes."""
    path = root / rel
    if not path.exists():
        return [f"{rel} is missing"]
    return [] if path.read_text() == render(nb) else [f"{rel} differs from the generated version"]


def write_one(root: Path, rel: Path, nb: nbformat.NotebookNode) -> bool:
    """Write such a notebook if it changed (atomically); True when it did."""
    path, text = root / rel, render(nb)
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


def fix_module(brk: Break) -> str:
    """solutions/<break>/fix.py: the fix as an importable module (FIX maps seam name -> function)."""
    names = list(brk.replaces)
    lines = fix_imports(names)
    head = f'"""The fix for {brk.tag}: the healthy code of {", ".join(names)}."""\n'
    body = "\n\n".join(healthy_source(n) for n in names)
    table = "FIX = {" + ", ".join(f'"{n}": {n}' for n in names) + "}\n"
    return head + ("\n".join(lines) + "\n") + "\n\n" + body + "\n\n" + table


def expected(root: Path = ROOT, catalogue: list[Break] | None = None) -> dict[Path, str]:
    """Every generated file and its exact content."""
    files = {}
    for brk in load_catalogue() if catalogue is None else catalogue:
        slug = brk.slug
        files[root / "notebooks" / f"{slug}.ipynb"] = render(build(brk))
        files[root / "solutions" / slug / "solution.ipynb"] = render(build(brk, solved=True))
        files[root / "solutions" / slug / "fix.py"] = fix_module(brk)
    return files


def _generated_on_disk(root: Path) -> list[Path]:
    """Files that look generated: notebooks/*.ipynb, solutions/*/solution.ipynb and fix.py."""
    found = [p for p in (root / "notebooks").glob("*.ipynb") if p.name not in OTHER_GENERATORS]
    for name in ("solution.ipynb", "fix.py"):
        found += (root / "solutions").glob(f"*/{name}")
    return sorted(found)


def outdated(root: Path = ROOT, catalogue: list[Break] | None = None) -> list[str]:
    """Generated files that are missing, differ from the template's output, or belong to no break."""
    want = expected(root, catalogue)
    out = [f"{p.relative_to(root)} is missing" for p in want if not p.exists()]
    out += [f"{p.relative_to(root)} differs from the generated version" for p, text in want.items()
            if p.exists() and p.read_text() != text]
    out += [f"{p.relative_to(root)} belongs to no break" for p in _generated_on_disk(root) if p not in want]
    return out


def write_all(root: Path = ROOT, catalogue: list[Break] | None = None, echo=print) -> int:
    """Write every notebook and fix; remove those of breaks that no longer exist. Returns files changed."""
    want = expected(root, catalogue)
    changed = 0
    for path, text in want.items():
        if path.exists() and path.read_text() == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
        echo(f"wrote {path.relative_to(root)}")
        changed += 1
    for path in _generated_on_disk(root):
        if path not in want:
            path.unlink()
            echo(f"removed {path.relative_to(root)} (its break is gone)")
            changed += 1
            if path.parent.name != "notebooks" and not any(path.parent.iterdir()):
                path.parent.rmdir()
    echo(f"{len(want)} files for {len(want) // 3} breaks; {changed} changed")
    return changed

