"""`just exp report-target-masking`: the source report's table, retrained here, beside the report's numbers.

The report (shared/reports/target-masking-report.md) trained a 6-layer, 4-head, 128-wide GPT on
10,000 unpadded 2-digit sums, packed in blocks of 16 and 64, with the loss on the whole stream
("No Mask") or under an answer-only mask computed per block ("Target Mask", the lab's
broken-truncated-mask). This trains every cell of its three tables on that configuration, plus the
correct answer mask as a third column, over several seeds, and prints mean and spread beside the
report's numbers. It takes tens of minutes; it is not part of CI.
"""
from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass

# the report's tables: (train loss, val loss, train TF, val TF, train AR, val AR), percentages as fractions
REPORTED = {
    ("block 16, 9:1", "whole stream"): (0.989, 1.160, 0.893, 0.922, 0.879, 0.898),
    ("block 16, 9:1", "per-block mask"): (0.531, 0.541, 0.831, 0.841, 0.788, 0.791),
    ("block 64, 9:1", "whole stream"): (0.989, 1.160, 0.884, 0.896, 0.734, 0.767),
    ("block 64, 9:1", "per-block mask"): (0.123, 0.125, 0.889, 0.905, 0.872, 0.880),
    ("block 64, 8:2", "whole stream"): (0.982, 1.170, 0.880, 0.866, 0.801, 0.784),
    ("block 64, 8:2", "per-block mask"): (0.121, 0.125, 0.892, 0.884, 0.874, 0.869),
}
EXPERIMENTS = {"block 16, 9:1": (16, 0.9), "block 64, 9:1": (64, 0.9), "block 64, 8:2": (64, 0.8)}
MASKS = ("whole stream", "per-block mask", "correct mask")
COLUMNS = ("train loss", "val loss", "train TF", "val TF", "train AR", "val AR")
EVAL_EXAMPLES = 1000  # the report's val split has 1,000 sums; the same number of train sums is measured


@dataclass(frozen=True)
class Cell:
    experiment: str
    mask: str
    seed: int
    values: tuple[float, ...]  # in COLUMNS order
    ignored_answer_share: float
    ar_curve: tuple[tuple[int, float], ...]  # (step, val AR exact match) along the way: competent or a plateau?


def recipe_for(experiment: str, mask: str, steps: int):
    from minimodel.recipes import Recipe

    block_size, train_frac = EXPERIMENTS[experiment]
    return Recipe(task="unpadded-addition", batching="packed", model="seed", block_size=block_size,
                  batch_size=32, steps=steps, lr=3e-3, warmup=100, train_frac=train_frac,
                  loss_on="all" if mask == "whole stream" else "answer", eval_prompts=EVAL_EXAMPLES)


def split_metrics(model, task, recipe, examples, batches) -> tuple[float, float, float]:
    """(loss over the training targets, TF exact match, AR exact match) on one split."""
    from minimodel.evaluate import ar_eval, prompt_prefix, tf_exact_match, tf_losses

    prefix = prompt_prefix(task, recipe.batching)
    return (tf_losses(model, batches, task.tokenizer)["loss"], tf_exact_match(model, task, examples, prefix)[0],
            ar_eval(model, task, examples, prefix, 0)["exact_match"])


def train_cell(job: tuple[str, str, int, int]) -> Cell:
    """Train one cell (experiment, mask, seed) and measure both splits, the report's way."""
    from minimodel.catalogue import find_break
    from minimodel.data import BATCHERS
    from minimodel.evaluate import ar_eval, prompt_prefix
    from minimodel.harness.runner import execute

    experiment, mask, seed, steps = job
    recipe = recipe_for(experiment, mask, steps)
    broken = find_break("broken-truncated-mask").replaces if mask == "per-block mask" else {}
    curve: list[tuple[int, float]] = []
    measured: dict[str, tuple[float, float, float]] = {}
    every = max(steps // 8, 1)

    def after_step(step, model, task):  # inside the run: the per-block mask is still installed
        model.eval()
        if step % every == 0 or step == steps:
            prefix = prompt_prefix(task, recipe.batching)
            curve.append((step, ar_eval(model, task, task.val[:400], prefix, 0)["exact_match"]))
        if step == steps:
            for name, examples in (("train", task.train), ("val", task.val)):
                data = BATCHERS[recipe.batching](task, examples, recipe.block_size, recipe.batch_size,
                                                 recipe.loss_on, seed=seed)
                measured[name] = split_metrics(model, task, recipe, examples[:EVAL_EXAMPLES],
                                               data.fixed_batches(recipe.eval_batches))

    run = execute(recipe, seed, broken, owner="the report's per-block mask", after_step=after_step)
    (tl, ttf, tar), (vl, vtf, var) = measured["train"], measured["val"]
    return Cell(experiment, mask, seed, (tl, vl, ttf, vtf, tar, var), run.metrics["ignored_answer_share"],
                tuple(curve))


def _fmt(col: str, v: float) -> str:
    return f"{v:.3f}" if "loss" in col else f"{v:.1%}"


def table(cells: list[Cell]) -> list[str]:
    """Per experiment and mask: the lab's mean (min-max over seeds) beside the report's value."""
    rows = [f"{'experiment':<14} {'mask':<15} " + " ".join(f"{c:>24}" for c in COLUMNS) + "  end of training"]
    for experiment in EXPERIMENTS:
        for mask in MASKS:
            mine = [c for c in cells if c.experiment == experiment and c.mask == mask]
            if not mine:
                continue
            reported = REPORTED.get((experiment, mask))
            parts = []
            for i, col in enumerate(COLUMNS):
                vs = [c.values[i] for c in mine]
                lab = f"{_fmt(col, statistics.mean(vs))} ({_fmt(col, min(vs))}-{_fmt(col, max(vs))})"
                parts.append(f"{lab:>24}")
            rows.append(f"{experiment:<14} {mask:<15} " + " ".join(parts) + "  " + _status(mine))
            if reported:
                rows.append(f"{'':<14} {'  report':<15} " + " ".join(f"{_fmt(c, v):>24}"
                                                                    for c, v in zip(COLUMNS, reported)))
    return rows


def _status(cells: list[Cell]) -> str:
    """Competent (>= 95 % val AR), still rising, or a plateau, judged from the last two measurements."""
    out = []
    for c in cells:
        (_, before), (_, last) = c.ar_curve[-2], c.ar_curve[-1]
        out.append("competent" if last >= 0.95 else "rising" if last - before > 0.01 else "plateau")
    return ", ".join(sorted(set(out)))


def run_report(seeds: list[int], steps: int, experiments: list[str] | None = None, jobs: int = 1,
               echo=print) -> list[Cell]:
    from minimodel.harness.parallel import map_jobs

    chosen = experiments or list(EXPERIMENTS)
    work = [(e, m, s, steps) for e in chosen for m in MASKS for s in seeds]
    echo(f"training {len(work)} runs (6L/4H/128d, batch 32, {steps} steps, seeds {seeds}), {jobs} at a time")
    cells = []
    for cell in map_jobs(train_cell, work, jobs):
        cells.append(cell)
        shown = " ".join(f"{c} {_fmt(c, v)}" for c, v in zip(COLUMNS, cell.values))
        echo(f"  {cell.experiment}, {cell.mask}, seed {cell.seed}: {shown}; "
             f"answer tokens ignored {cell.ignored_answer_share:.1%}")
    echo("")
    for row in table(cells):
        echo(row)
    return cells


def as_dict(cell: Cell) -> dict:
    return dataclasses.asdict(cell)
