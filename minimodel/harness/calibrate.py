"""`just calibrate`: per recipe, how many steps its healthy control needs to learn the task, over seeds.

A verdict means something only beside a competent control (DESIGN: "Healthy means competent"):
on addition at least 95 % greedy (AR) exact match on held-out sums, on the sentence exact recall,
on every seed. This trains each recipe's control, measures AR exact match every `every` steps on
the way, and prints the first step at which it reached the bar and where it ended. The controls
it trains go into the control cache, so a `just check` at the same thread count reuses them.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

COMPETENT_AR = 0.95  # greedy exact match on held-out sums a healthy control must reach


@dataclass(frozen=True)
class Calibration:
    recipe: str
    seed: int
    steps: int
    steps_to_competence: int | None  # first measured step at or over the bar (None: never)
    ar_exact_match: float  # at the end of training
    tf_exact_match: float
    competent: bool  # the end-of-training bar: AR >= 95 % (addition) or exact recall (the sentence)
    seconds: float


def competent(metrics: dict) -> bool:
    """The healthy-control bar, on a run's metrics."""
    if metrics.get("recall"):
        return all(p["correct_share"] == 1.0 for p in metrics["recall"])
    return metrics["ar"]["exact_match"] >= COMPETENT_AR


def calibrate_one(job: tuple[str, int, int]) -> Calibration:
    """Train one recipe's healthy control for one seed, measuring AR exact match every `every` steps."""
    from minimodel.harness import control_cache
    from minimodel.evaluate import ar_eval, prompt_prefix, recall
    from minimodel.recipes import get_recipe
    from minimodel.harness.runner import execute

    name, seed, every = job
    recipe = get_recipe(name)
    reached: list[int] = []

    def after_step(step, model, task):
        if reached or (step % every and step != recipe.steps):
            return
        model.eval()
        prefix = prompt_prefix(task, recipe.batching)
        if task.recall:
            ok = all(p["correct_share"] == 1.0 for p in recall(model, task, prefix))
        else:
            ok = ar_eval(model, task, task.val[: recipe.eval_prompts], prefix, 0)["exact_match"] >= COMPETENT_AR
        if ok:
            reached.append(step)

    t0 = time.perf_counter()
    run = execute(recipe, seed, label=f"{name} seed {seed}", after_step=after_step)
    control_cache.store(recipe, seed, run.model, run.metrics, run.train_losses, run.seconds)
    m = run.metrics
    return Calibration(name, seed, recipe.steps, reached[0] if reached else None, m["ar"]["exact_match"],
                       m["tf_exact_match"], competent(m), time.perf_counter() - t0)


def recipes_in_use() -> list[str]:
    from minimodel.catalogue import load_catalogue

    return list(dict.fromkeys(b.recipe for b in load_catalogue()))


def run_calibration(recipes: list[str], seeds: list[int], every: int = 100, jobs: int = 1, echo=print) -> bool:
    """Print, per recipe, each seed's steps to competence and final exact match; True if all are competent."""
    from minimodel.harness.parallel import map_jobs

    jobs_list = [(name, seed, every) for name in recipes for seed in seeds]
    results: dict[str, list[Calibration]] = {name: [] for name in recipes}
    echo(f"{'recipe':<18} {'seed':>4} {'steps':>5} {'to 95%':>7} {'AR EM':>7} {'TF EM':>7}  {'ok':<3} seconds")
    for c in map_jobs(calibrate_one, jobs_list, jobs):
        results[c.recipe].append(c)
        reach = "never" if c.steps_to_competence is None else str(c.steps_to_competence)
        echo(f"{c.recipe:<18} {c.seed:>4} {c.steps:>5} {reach:>7} {c.ar_exact_match:>7.1%} {c.tf_exact_match:>7.1%}"
             f"  {'yes' if c.competent else 'NO':<3} {c.seconds:.1f}")
    echo("")
    echo(f"{'recipe':<18} {'seeds':>5} {'worst AR EM':>11} {'slowest to 95%':>14}  competent on every seed")
    ok = True
    for name, cs in results.items():
        worst = min(c.ar_exact_match for c in cs)
        reach = [c.steps_to_competence for c in cs]
        slowest = "never" if None in reach else str(max(reach))
        every_seed = all(c.competent for c in cs)
        ok &= every_seed
        echo(f"{name:<18} {len(cs):>5} {worst:>11.1%} {slowest:>14}  {'yes' if every_seed else 'NO'}"
             f" (of {cs[0].steps} steps)")
    return ok
