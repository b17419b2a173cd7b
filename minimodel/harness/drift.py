"""What `just check` compares with breaks/ besides the contract: the notebooks, the answer keys, the catalogue's
pages (the README's listing and the measurement page), the drill's outcomes.

Each problem is one line that says the command that fixes it, as `rustlings dev check` does.
"""
from __future__ import annotations

from pathlib import Path

from minimodel.catalogue import Break, load_catalogue
from minimodel.harness import measurements
from minimodel.harness.answer_keys import key_problems

ROOT = Path(__file__).resolve().parents[2]  # the repository: README.md, notebooks/, solutions/


def notebook_problems() -> list[str]:
    """Generated notebooks that are missing, differ from the template's output, or are orphans."""
    try:
        from minimodel.notebooks import generate
    except ImportError as e:  # nbformat comes with the dev extras
        return [f"notebooks not checked ({e}); install the dev extras: pip install -e '.[dev]'"]
    stale = generate.outdated(ROOT)
    return [f"{p}: {generate.OUTDATED}" for p in stale]


def drill_problems() -> list[str]:
    """The drill's outcomes are current, and every two breaks of its pool differ in some detector's outcome."""
    from minimodel.harness import drill_pool

    breaks = drill_pool.pool()
    try:
        outcomes = drill_pool.load_outcomes(ROOT / "solutions")
    except drill_pool.DrillError as e:
        return [str(e)]
    return drill_pool.outcome_problems(breaks, outcomes) or drill_pool.distinguishability_problems(breaks, outcomes)


def drift_problems(catalogue: list[Break]) -> list[str]:
    """Everything generated from or written about these breaks that no longer matches them."""
    keys = [p for b in catalogue for p in key_problems(b, ROOT / "solutions")]
    pages = measurements.catalogue_problems(load_catalogue())  # the pages list every break, whichever is checked
    return notebook_problems() + keys + pages + drill_problems()
