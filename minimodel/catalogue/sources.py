"""A seam's healthy source, as the fix cells, the solution notebooks and `just new` write it (imports included)."""
from __future__ import annotations

import ast
import builtins
import inspect
import types

from minimodel import seams

STUB = 'raise NotImplementedError("write the fix")'


def _seam_source(name: str) -> str:
    src = inspect.getsource(seams.REGISTRY[name].healthy)
    return "\n".join(line for line in src.splitlines() if not line.startswith("@")) + "\n"


def _names_used(source: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}


def fix_imports(names: list[str]) -> list[str]:
    """The import lines the healthy source of these seams needs (torch, F, math, IGNORE_INDEX, ...)."""
    used: set[str] = set()
    for name in names:
        used |= _names_used(_seam_source(name))
    lines = []
    for n in sorted(used):
        obj = vars(seams).get(n)
        if isinstance(obj, types.ModuleType):
            lines.append(f"import {obj.__name__}" if obj.__name__ == n else f"import {obj.__name__} as {n}")
        elif obj is not None and not isinstance(obj, seams.Seam) and n not in vars(builtins):
            lines.append(f"from minimodel.seams import {n}")
    return sorted(set(lines), key=lambda s: (s.startswith("from"), s))


def stub_imports(names: list[str]) -> list[str]:
    """The fix's imports above the stubs: one a stub does not use yet is marked, for the linter, as kept on purpose."""
    used = set().union(*(_names_used(stub_source(n)) for n in names))  # the signatures: the same for any docstring
    return [line if line.split()[-1] in used else f"{line}  # noqa: F401 (the fix needs it)"
            for line in fix_imports(names)]


def healthy_source(name: str) -> str:
    """The seam's healthy function as written in minimodel/seams.py, without the decorator."""
    return _seam_source(name)


def stub_source(name: str, broken=None) -> str:
    """The seam's signature and a one-line docstring, with an unfinished body.

    The docstring is the broken twin's when there is one (a break's fix cell): the healthy docstring
    often states the fix ("only j <= i, never the future"), which is the learner's to find."""
    src = _seam_source(name)
    fn = ast.parse(src).body[0]
    lines = src.splitlines()
    indent = " " * fn.body[0].col_offset
    if broken is not None:
        doc = (inspect.getdoc(broken) or "").strip().splitlines()
        body = [f'{indent}"""{doc[0]}"""'] if doc else []
    else:
        first = lines[fn.body[0].lineno - 1].rstrip()  # the docstring's first line, as written
        body = [first if first.endswith('"""') else first + '"""'] if ast.get_docstring(fn) else []
    return "\n".join(lines[:fn.body[0].lineno - 1] + body + [f"{indent}{STUB}"]) + "\n"


def unattempted(fn) -> bool:
    """True for a fix that is still the stub (its body raises NotImplementedError)."""
    try:
        return STUB in inspect.getsource(fn)
    except (OSError, TypeError):
        return False
