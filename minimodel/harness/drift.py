"""What `just check` compares with breaks/ besides the contract: the notebooks, the answer keys, the README's catalogue.

Each problem is one line that says the command that fixes it, as `rustlings dev check` does.
"""
from __future__ import annotations

import re
from pathlib import Path

from minimodel.catalogue import Break
from minimodel.harness.answer_keys import key_problems

ROOT = Path(__file__).resolve().parents[2]  # the repository: README.md, notebooks/, solutions/
ROW = re.compile(r"^\| `(broken-[a-z0-9-]+)` \| (.+?) \|")  # a row of the README's catalogue table: tag, title


def notebook_problems() -> list[str]:
    """Generated notebooks that are missing, differ from the template's output, or are orphans."""
    try:
        from minimodel.notebooks import generate
    except ImportError as e:  # nbformat comes with the dev extras
        return [f"notebooks not checked ({e}); install the dev extras: pip install -e '.[dev]'"]
    stale = generate.outdated(ROOT)
    return [f"{p}: {generate.OUTDATED}" for p in stale]


def readme_rows(readme: Path) -> dict[str, str]:
    """tag -> title of every row of the README's catalogue table."""
    return {m[1]: m[2] for m in map(ROW.match, readme.read_text().splitlines()) if m}


def readme_problems(catalogue: list[Break], readme: Path, every_break: bool = True) -> list[str]:
    """A break without its catalogue row, a row whose title is not the break's, a row for no break."""
    rows, out = readme_rows(readme), []
    for b in catalogue:
        title = rows.get(b.tag)
        if title is None:
            out.append(f"{readme.name} has no catalogue row for {b.tag}; add `| \\`{b.tag}\\` | {b.title} | ... |` "
                       "under '## The catalogue', with what `just check --seeds 0-9` measured")
        elif title != b.title:
            out.append(f"{readme.name}'s catalogue row for {b.tag} has the title {title!r}; the break's is {b.title!r}")
    if every_break:
        out += [f"{readme.name}'s catalogue has a row for {tag}, which is no break; remove it"
                for tag in rows if tag not in {b.tag for b in catalogue}]
    return out


def drill_problems() -> list[str]:
    """The drill's outcomes are current, and every two breaks of its pool differ in some detector's outcome."""
    from minimodel.harness import drill_pool

    breaks = drill_pool.pool()
    try:
        outcomes = drill_pool.load_outcomes(ROOT / "solutions")
    except drill_pool.DrillError as e:
        return [str(e)]
    return drill_pool.outcome_problems(breaks, outcomes) or drill_pool.distinguishability_problems(breaks, outcomes)


def drift_problems(catalogue: list[Break], every_break: bool = True) -> list[str]:
    """Everything generated from or written about these breaks that no longer matches them."""
    keys = [p for b in catalogue for p in key_problems(b, ROOT / "solutions")]
    return notebook_problems() + keys + readme_problems(catalogue, ROOT / "README.md", every_break) + drill_problems()
