"""`just calibrate`: per recipe, when its healthy control reaches the bar and whether it meets the competence rule.

A verdict means something only beside a competent control (`minimodel.competence`): the bar reached by
two thirds of its training steps and clearly passed at the end, on every seed, thread count and
instruction set. This trains each recipe's control as a verdict does, until it is competent with the margin
(`competence.done`), and prints the step at which it reached the bar (measured 15 times along the run), the
deadline, the step it stopped at and its score there. The controls it trains go into the
control cache, so a `just check` under the same settings reuses them; on a clone of the repository what it
measured also goes into docs/measurements/calibrate/ and the measurement page's competence table.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from minimodel import competence


@dataclass(frozen=True)
class Calibration:
    recipe: str
    seed: int
    steps: int  # the recipe's steps (the schedule the deadline is a share of)
    stopped: int  # the steps it trained: where it was competent with the margin, or all of them
    steps_to_bar: int | None  # first measured step at or over the bar (None: never)
    final_score: float  # AR exact match where it stopped (the worst recall share on a memorised text)
    problems: tuple[str, ...]  # what the competence rule found wanting (empty: competent with the margin)
    seconds: float


def calibrate_one(job: tuple[str, int]) -> Calibration:
    """Train one recipe's healthy control for one seed (through the control cache) and judge it."""
    from minimodel.harness.verdict import healthy_control
    from minimodel.recipes import get_recipe

    name, seed = job
    t0 = time.perf_counter()
    run = healthy_control(get_recipe(name), seed, note=lambda _msg: None)
    m = run.metrics
    return Calibration(name, seed, m["schedule_steps"], m["steps"], m.get("steps_to_bar"), competence.score(m),
                       tuple(competence.problems(m)), time.perf_counter() - t0)


def recipes_in_use() -> list[str]:
    """The recipes whose healthy control must be competent: those of every break that
    does not declare why its control is not held to the rule (`half_trained`)."""
    from minimodel.catalogue import load_catalogue

    return list(dict.fromkeys(b.recipe for b in load_catalogue() if not b.half_trained))


def run_calibration(recipes: list[str], seeds: list[int], jobs: int = 1, echo=print,
                    command: str | None = None) -> bool:
    """Print, per recipe, each seed's step to the bar and final score; True if every control is competent
    with the margin. With `command` (how it was run), record the results for the measurement page."""
    from minimodel.harness.parallel import map_jobs

    results: dict[str, list[Calibration]] = {name: [] for name in recipes}
    echo(f"{'recipe':<18} {'seed':>4} {'steps':>5} {'to bar':>6} {'deadline':>8} {'stopped':>7} {'score':>6}  "
         f"{'ok':<3} seconds")
    for c in map_jobs(calibrate_one, [(name, seed) for name in recipes for seed in seeds], jobs):
        results[c.recipe].append(c)
        reach = "never" if c.steps_to_bar is None else str(c.steps_to_bar)
        echo(f"{c.recipe:<18} {c.seed:>4} {c.steps:>5} {reach:>6} {competence.deadline(c.steps):>8} {c.stopped:>7} "
             f"{c.final_score:>6.1%}  {'yes' if not c.problems else 'NO':<3} {c.seconds:.1f}")
        for p in c.problems:
            echo(f"    - {p}")
    echo("")
    echo(f"{'recipe':<18} {'seeds':>5} {'slowest to bar':>14} {'deadline':>8} {'latest stop':>11} {'worst score':>11}  "
         "competent with the margin on every seed")
    ok = True
    for name, cs in results.items():
        reach = [c.steps_to_bar for c in cs]
        slowest = "never" if None in reach else str(max(reach))
        every_seed = not any(c.problems for c in cs)
        ok &= every_seed
        echo(f"{name:<18} {len(cs):>5} {slowest:>14} {competence.deadline(cs[0].steps):>8} "
             f"{max(c.stopped for c in cs):>11} {min(c.final_score for c in cs):>11.1%}  "
             f"{'yes' if every_seed else 'NO'}")
    if command is not None:
        from minimodel.catalogue import load_catalogue
        from minimodel.harness import measurements

        path = measurements.save_calibration({name: {c.seed: {"steps": c.steps, "stopped": c.stopped,
                                                              "steps_to_bar": c.steps_to_bar, "score": c.final_score}
                                                     for c in cs}
                                              for name, cs in results.items()}, command)
        measurements.write_catalogue(load_catalogue(), echo=lambda _: None)
        echo(f"recorded in {path.relative_to(measurements.ROOT)} and docs/measurements/index.md")
    return ok
