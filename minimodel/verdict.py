"""A break's verdict: run it (or a fix) beside its healthy control and read the detectors."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from minimodel import seams
from minimodel.catalogue import Break
from minimodel.detectors import Finding, detect
from minimodel.recipes import Recipe, get_recipe
from minimodel.runner import RunResult, execute, remeasure
from minimodel.runs import load_checkpoint, save_checkpoint
from minimodel.tasks import make_task

_controls: dict[tuple[Recipe, int], RunResult] = {}  # healthy runs, reused within a process


def recipe_for(brk: Break, steps: int | None = None) -> Recipe:
    return get_recipe(brk.recipe, steps=steps if steps is not None else brk.steps)


def healthy_control(recipe: Recipe, seed: int, progress: bool = False) -> RunResult:
    """The same task, preset, seed and steps with every seam healthy.

    Cached per process, and across processes when MINIMODEL_CONTROL_CACHE names a folder (the
    notebook suite sets it: the same recipe, seed and thread count give the same numbers, so each
    notebook need not train the same control again). Learners never set it.
    """
    key = (recipe, seed)
    if key not in _controls:
        shared = _shared_control_path(recipe, seed)
        if shared is not None and shared.exists():
            model, meta = load_checkpoint(shared, "delete the file; the next run trains the control again")
            _controls[key] = RunResult(recipe, seed, {}, meta["metrics"], meta["train_losses"], model,
                                       make_task(recipe.task, seed=seed), meta["seconds"], "healthy control")
        else:
            _controls[key] = execute(recipe, seed, progress=progress, label="healthy control")
            if shared is not None:
                c = _controls[key]
                save_checkpoint(shared, c.model, {"metrics": c.metrics, "train_losses": c.train_losses,
                                                  "seconds": c.seconds})
    return _controls[key]


def _shared_control_path(recipe: Recipe, seed: int) -> Path | None:
    folder = os.environ.get("MINIMODEL_CONTROL_CACHE")
    if not folder:
        return None
    key = hashlib.sha256(repr(recipe).encode()).hexdigest()[:16]
    return Path(folder) / f"control-{key}-seed{seed}.pt"


@dataclass
class Verdict:
    brk: Break
    seed: int
    run: RunResult  # with the break, or with the fix plugged in
    control: RunResult
    findings: list[Finding]  # the break's detectors on `run`, compared with the control
    control_findings: list[Finding]  # the same detectors on the control itself
    fix_applied: bool

    @property
    def fired(self) -> list[str]:
        return [f.name for f in self.findings if f.fired]

    def table(self) -> str:
        """Findings side by side: this run against the healthy control."""
        label = "with your fix" if self.fix_applied else self.brk.tag
        rows = [f"{'detector':<22} {label:>18} {'healthy control':>18}  threshold"]
        for f, c in zip(self.findings, self.control_findings):
            def cell(x: Finding) -> str:
                v = "n/a" if x.value is None else f"{x.value:.4g}"
                return f"{v} {'FIRED' if x.fired else 'quiet'}"
            rows.append(f"{f.name:<22} {cell(f):>18} {cell(c):>18}  {f.threshold:g}")
        return "\n".join(rows)


def fix_map(brk: Break, fix: Callable | Mapping[str, Callable]) -> dict[str, Callable]:
    """A fix as {seam name: function}: a lone function stands for the break's only seam."""
    if callable(fix) and not isinstance(fix, Mapping):
        if len(brk.replaces) != 1:
            raise seams.SeamError(f"{brk.tag} replaces {len(brk.replaces)} seams; pass a dict "
                                  f"{{seam name: function}} for {', '.join(brk.replaces)}")
        fix = {next(iter(brk.replaces)): fix}
    for fn in dict(fix).values():
        if isinstance(fn, seams.Seam):
            raise seams.SeamError(f"that is the seam {fn.name!r} itself; write your own function with its signature")
    return dict(fix)


def run_break(brk: Break, seed: int = 0, steps: int | None = None,
              fix: Callable | Mapping[str, Callable] | None = None, progress: bool = False,
              recipe: Recipe | None = None) -> Verdict:
    """Train the break (or the fix in its place) and the healthy control; detect side by side."""
    recipe = recipe or recipe_for(brk, steps)
    control = healthy_control(recipe, seed, progress)
    replacements = dict(brk.replaces) if fix is None else {**brk.replaces, **fix_map(brk, fix)}
    owner = brk.tag if fix is None else f"the fix for {brk.tag}"
    changed = {name: fn for name, fn in replacements.items() if fn is not seams.REGISTRY[name].healthy}
    if not changed:
        run = control  # the fix is the healthy code itself: the same computation, already done
    elif seams.evaluation_only(changed):
        run = remeasure(control, changed, owner)  # training never calls these seams: same model
    else:
        run = execute(recipe, seed, replacements, owner=owner, progress=progress,
                      label="with the fix" if fix is not None else brk.tag)
    findings = detect(brk.detectors, run.metrics, control.metrics, brk.thresholds)
    control_findings = detect(brk.detectors, control.metrics, control.metrics, brk.thresholds)
    return Verdict(brk, seed, run, control, findings, control_findings, fix is not None)
