"""Discovery: every breaks/bNN_<slug>.py in teaching order (the bNN prefix); a break by its tag or id."""
from __future__ import annotations

import importlib
import pkgutil

from minimodel.catalogue.declaration import Break

BASELINE = "baseline"  # the tag of a run with every seam healthy


def load_catalogue() -> list[Break]:
    """Every breaks/bNN_*.py module's BREAK, in teaching order (the bNN prefix)."""
    from minimodel import breaks

    found = []
    for info in sorted(pkgutil.iter_modules(breaks.__path__), key=lambda i: i.name):
        if not (info.name[:1] == "b" and info.name[1:3].isdigit() and info.name[3:4] == "_"):
            continue
        module = importlib.import_module(f"minimodel.breaks.{info.name}")
        brk = getattr(module, "BREAK", None)
        if not isinstance(brk, Break):
            raise TypeError(f"breaks/{info.name}.py must define BREAK = Break(...)")
        object.__setattr__(brk, "module", f"minimodel.breaks.{info.name}")
        found.append(brk)
    tags = [b.tag for b in found]
    dupes = {t for t in tags if tags.count(t) > 1}
    if dupes:
        raise ValueError(f"two breaks share the tag(s) {sorted(dupes)}")
    return found


def valid_tags(catalogue: list[Break]) -> list[str]:
    """What `--tag` accepts: the baseline, then every break's tag."""
    return [BASELINE] + [b.tag for b in catalogue]


def find_break(name: str, catalogue: list[Break] | None = None) -> Break:
    """A break by tag ('broken-no-mask') or id ('no-mask'); a clear error listing the valid ones."""
    catalogue = load_catalogue() if catalogue is None else catalogue
    for b in catalogue:
        if name in (b.tag, b.id):
            return b
    raise LookupError(f"unknown break {name!r}; breaks are: {', '.join(b.tag for b in catalogue)}")
