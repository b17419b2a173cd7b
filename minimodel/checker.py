"""`just check`: every break's metadata is complete and its contract holds (fires broken, quiet fixed)."""
from __future__ import annotations

import time

from minimodel.catalogue import Break, load_catalogue, metadata_problems
from minimodel.detectors import detect
from minimodel.verdict import run_break


def contract_problems(brk: Break, seed: int) -> list[str]:
    """Empty when the break's contract holds for this seed; else what broke it, with the numbers.

    "symptom" and "sanity": every symptom fires under the break and none fires with the fix.
    "no-effect": no symptom fires under the break either (the predicted failure does not come).
    Every kind: each of the break's `checks` stays quiet under the break and with the fix.
    """
    broken = run_break(brk, seed)
    fixed = run_break(brk, seed, fix=brk.fix)
    if brk.expect == "no-effect":
        out = [f"seed {seed}: {f.name} fired under a break that should make no difference ({f.summary})"
               for f in broken.findings if f.fired]
    else:
        out = [f"seed {seed}: {f.name} did not fire under the break ({f.summary})"
               for f in broken.findings if not f.fired]
    out += [f"seed {seed}: {f.name} still fires with the fix ({f.summary})" for f in fixed.findings if f.fired]
    for label, v in (("under the break", broken), ("with the fix", fixed)):
        out += [f"seed {seed}: the check {f.name} failed {label} ({f.summary})"
                for f in detect(brk.check_detectors, v.run.metrics, v.control.metrics, brk.thresholds) if f.fired]
    return out


def run_checks(seeds: list[int], only: str | None = None, echo=print) -> bool:
    catalogue = load_catalogue()
    if only:
        catalogue = [b for b in catalogue if only in (b.tag, b.id)]
        if not catalogue:
            echo(f"error: unknown break {only!r}")
            return False
    ok = True
    for brk in catalogue:
        t0 = time.perf_counter()
        problems = metadata_problems(brk)
        if not problems:
            for seed in seeds:
                problems += contract_problems(brk, seed)
        ok &= not problems
        status = "ok" if not problems else "FAILED"
        echo(f"{brk.tag:<28} {status:<7} ({time.perf_counter() - t0:.1f} s, seeds {seeds})")
        for p in problems:
            echo(f"    - {p}")
    return notebooks_current(echo) and ok


def notebooks_current(echo=print) -> bool:
    """The generated notebooks match breaks/ and the template (and none belongs to a removed break)."""
    try:
        from minimodel.notebooks import OUTDATED, outdated
    except ImportError as e:  # nbformat comes with the dev extras
        echo(f"notebooks: not checked ({e}); install the dev extras: pip install -e '.[dev]'")
        return True
    stale = outdated()
    if stale:
        echo(f"error: {OUTDATED}")
        for p in stale:
            echo(f"    - {p}")
    return not stale
