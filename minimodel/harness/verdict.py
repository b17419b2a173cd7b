"""A break's verdict: run it (or a fix) beside its healthy control and read the detectors."""
from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from minimodel import seams, settings
from minimodel.harness import control_cache
from minimodel.catalogue import Break
from minimodel.detectors import Finding
from minimodel.recipes import Recipe, get_recipe
from minimodel.harness.findings import Table, by_name, findings_table, run_findings
from minimodel.harness.runner import RunResult, StopAt, execute, remeasure

_controls: dict[tuple[Recipe, int, int], RunResult] = {}  # healthy runs, reused within a process


def recipe_for(brk: Break, steps: int | None = None) -> Recipe:
    return get_recipe(brk.recipe, steps=steps if steps is not None else brk.steps)


def healthy_control(recipe: Recipe, seed: int, progress: bool = False, note=print) -> RunResult:
    """The same task, preset, seed and schedule with every seam healthy, trained until it is competent with the
    margin (`competence.done`; on a recipe that stops when competent), or to the schedule's end: a break beside
    it stops at the same step.

    Cached in the process, and on disk in the user's cache folder (`minimodel.harness.control_cache`):
    the same recipe, seed, thread count and library give the same numbers, so a second break on
    the same recipe, or the same break again, trains only its own run.
    """
    key = (recipe, seed, torch.get_num_threads())
    if key not in _controls:
        cached = control_cache.load(recipe, seed, note)
        if cached is not None:
            model, meta = cached
            _controls[key] = RunResult(recipe, seed, {}, meta["metrics"], meta["train_losses"], model,
                                       recipe.make_task(seed), meta["seconds"], "healthy control")
        else:
            c = execute(recipe, seed, progress=progress, label="healthy control",
                        until_competent=recipe.stop_when_competent)
            try:
                control_cache.store(recipe, seed, c.model, c.metrics, c.train_losses, c.seconds)
            except OSError as e:
                note(f"note: could not cache the healthy control ({e}); it will be trained again next time")
            _controls[key] = c
    return _controls[key]


def break_run(recipe: Recipe, seed: int, replacements: Mapping[str, Callable], owner: str, stop_at: StopAt,
              progress: bool = False, label: str = "train", note=print) -> RunResult:
    """A run with seams replaced, stopped where its healthy control stopped (`stop_at`); a catalogue break's run
    comes from the disk cache when it is there (its control's last step follows from the same key)."""
    if not control_cache.cacheable(replacements):  # a learner's own function: always trained
        return execute(recipe, seed, replacements, owner=owner, progress=progress, label=label, stop_at=stop_at)
    cached = control_cache.load(recipe, seed, note, replacements)
    if cached is not None:
        model, meta = cached
        return RunResult(recipe, seed, dict(replacements), meta["metrics"], meta["train_losses"], model,
                         recipe.make_task(seed), meta["seconds"], owner)
    run = execute(recipe, seed, replacements, owner=owner, progress=progress, label=label, stop_at=stop_at)
    try:
        control_cache.store(recipe, seed, run.model, run.metrics, run.train_losses, run.seconds, replacements)
    except OSError as e:
        note(f"note: could not cache the run ({e})")
    return run


def forget_controls() -> None:
    """Drop the controls held in this process (the disk cache stays): the next verdict reads or trains anew."""
    _controls.clear()


def _control_is_ready(recipe: Recipe, seed: int) -> bool:
    key = (recipe, seed, torch.get_num_threads())
    return key in _controls or control_cache.entry_path(control_cache.entry_key(recipe, seed)).exists()


def _train_control(job: tuple[Recipe, int]) -> int:
    """In another process: train the healthy control into the disk cache; returns the steps it trained."""
    steps = healthy_control(*job, note=lambda _msg: None).metrics["steps"]
    gc.freeze()  # this worker exits next, and the verdict waits for it: spare its teardown a walk over torch's objects
    return steps


def _side_by_side(recipe: Recipe, seed: int, train_own: Callable[[StopAt], RunResult], progress: bool = False,
                  note=print) -> RunResult:
    """Train the healthy control in a second process while `train_own` trains here, each on its own
    cores with the same thread count, when the cores allow it; the control arrives through the cache.
    `train_own` is told where to stop: the control's last step, or a function that gives it once known."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from minimodel.harness.parallel import init_worker

    if _control_is_ready(recipe, seed) or settings.jobs() < 2:
        return train_own(healthy_control(recipe, seed, progress, note).metrics["steps"])
    note("healthy control: training side by side in a second process")
    # On Linux at one thread, a forked copy of this process starts training at once; a spawned one first loads
    # Python and torch again (two seconds or more of a cold verdict). Elsewhere fork is unsafe once torch is loaded
    # (macOS's system libraries, or torch's own thread pool at more threads): there the control is spawned.
    start = "fork" if sys.platform == "linux" and torch.get_num_threads() == 1 else "spawn"
    with ProcessPoolExecutor(1, mp_context=get_context(start), initializer=init_worker,
                             initargs=(torch.get_num_threads(),)) as pool:  # the same thread count
        pending = pool.submit(_train_control, (recipe, seed))
        known: list[int] = []

        def control_steps(wait: bool) -> int | None:
            if not known and (wait or pending.done()):
                try:
                    known.append(pending.result())
                except Exception as e:  # the control is then trained here, as without a second process
                    note(f"note: the side-by-side healthy control failed ({type(e).__name__}: {e}); training it here")
                    known.append(healthy_control(recipe, seed, progress, note).metrics["steps"])
            return known[0] if known else None

        return train_own(control_steps)


@dataclass
class Verdict:
    """A run beside its healthy control, read once by every detector that concerns it: the general health
    checks, the break's symptoms and its checks. Every door shows this: the CLI's table and manifest, the
    notebook's panels, the checker's readings, a fix's report, the answer keys."""
    tag: str
    brk: Break | None  # None: the baseline, every seam healthy
    recipe: Recipe
    seed: int
    run: RunResult  # the break's run, the fix in its place, or the baseline's
    control: RunResult | None  # the healthy control (None for the baseline)
    findings: list[Finding]  # this run's, compared with the control
    control_findings: list[Finding]  # the same detectors on the control itself
    fix_applied: bool = False
    folder: Path | None = None  # where `17-train-mini` wrote it (runs/<tag>/), once written
    manifest: dict | None = None  # what it wrote there

    def of(self, names: list[str], control: bool = False) -> list[Finding]:
        """The findings of these detectors, in this order (on the control with `control=True`)."""
        found = by_name(self.control_findings if control else self.findings)
        return [found[n] for n in names]

    @property
    def symptoms(self) -> list[Finding]:
        return self.of(self.brk.detectors) if self.brk else []

    @property
    def checks(self) -> list[Finding]:
        return self.of(self.brk.check_detectors) if self.brk else []

    @property
    def fired(self) -> list[str]:
        """The break's symptoms that fired."""
        return [f.name for f in self.symptoms if f.fired]

    @property
    def steps_note(self) -> str:
        """How long both runs trained: the recipe's steps, or fewer where the healthy control stopped them."""
        m = self.run.metrics
        if m["steps"] >= m["schedule_steps"]:
            return f"both runs trained all {m['steps']} steps"
        return (f"both runs stopped at step {m['steps']} of {m['schedule_steps']}: there the healthy control had "
                "learned its task with the margin, and a break is compared with it at the same step")

    def table(self, **kw) -> Table:
        """Every finding side by side: this run against the healthy control (see findings_table)."""
        label = "with your fix" if self.fix_applied else self.tag
        return findings_table(self.brk, self.findings, self.control_findings if self.control else None, label, **kw)


def judge(brk: Break | None, tag: str, recipe: Recipe, seed: int, run: RunResult, control: RunResult | None,
         fix_applied: bool = False) -> Verdict:
    """The verdict on a run: every detector that concerns it, read once, beside the control's."""
    base = control.metrics if control else None
    found = run_findings(brk, run.metrics, base)
    control_found = run_findings(brk, base, base) if control else []
    return Verdict(tag, brk, recipe, seed, run, control, found, control_found, fix_applied)


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
              recipe: Recipe | None = None, blind: str | None = None) -> Verdict:
    """Train the break (or the fix in its place: a {seam: function} map, or a lone function for a break of one
    seam, see `fix_map`) beside the healthy control, and read the verdict.

    `blind` (a drill id) runs the break under that name only: its progress and errors say the id, and its
    run is not cached (a cache entry names the seams it replaced); the healthy control is cached as usual."""
    recipe = recipe or recipe_for(brk, steps)
    if fix is not None and not isinstance(fix, Mapping):
        fix = fix_map(brk, fix)
    changed = seams.not_healthy({**brk.replaces, **(fix or {})})
    owner = blind or (brk.tag if fix is None else f"the fix for {brk.tag}")
    if not changed:
        run = control = healthy_control(recipe, seed, progress)  # the fix is the healthy code itself
    elif seams.evaluation_only(changed):
        control = healthy_control(recipe, seed, progress)
        run = remeasure(control, changed, owner)  # training never calls these seams: same model
    else:
        label = "with the fix" if fix is not None else owner
        train = ((lambda stop_at: execute(recipe, seed, changed, owner=owner, progress=progress, label=label,
                                          stop_at=stop_at)) if blind
                 else (lambda stop_at: break_run(recipe, seed, changed, owner, stop_at, progress, label)))
        run = _side_by_side(recipe, seed, train, progress)
        control = healthy_control(recipe, seed, progress)
    return judge(brk, brk.tag, recipe, seed, run, control, fix is not None)
