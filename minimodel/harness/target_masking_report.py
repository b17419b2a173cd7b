"""`just exp report-target-masking`: the source report's tables retrained here, cell by cell, into a results file.

The source report (one of the experiment reports the catalogue draws on) trained a 6-layer, 4-head, 128-wide GPT on
10,000 unpadded 2-digit sums, packed in blocks of 16 and 64, with the loss on the whole stream
("No Mask") or under an answer-only mask computed per block ("Target Mask", the lab's
broken-truncated-mask). This trains every cell (experiment, mask, seed) of its three tables on that
configuration, plus the correct answer mask as a third column. Each finished cell is saved at once
(atomically) in the results file, so an interrupted run resumes where it stopped; the page
`docs/target-masking-report.md` is generated from that file (`minimodel.harness.target_masking_page`).
Hours on 2 cores for ten seeds; not part of CI.
"""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from minimodel import settings

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
CURVE_POINTS = 8  # val AR measured at every eighth of the run (on 400 sums): learned, plateau or stuck
RESULTS = Path(__file__).resolve().parents[2] / "docs" / "measurements" / "target-masking.json"
FORMAT = 1


@dataclass(frozen=True)
class Cell:
    experiment: str
    mask: str
    seed: int
    steps: int
    values: tuple[float, ...]  # in COLUMNS order
    ignored_answer_share: float
    ar_curve: tuple[tuple[int, float], ...]  # (step, val AR exact match) along the way
    tf_ar_differ: tuple[int, int]  # (train, val): examples whose TF and AR exactness differ
    threads: int
    isa: str
    seconds: float
    finished_at: str

    @property
    def key(self) -> tuple[str, str, int, int]:
        return self.experiment, self.mask, self.seed, self.steps


def recipe_for(experiment: str, mask: str, steps: int):
    from minimodel.recipes import Recipe

    block_size, train_frac = EXPERIMENTS[experiment]
    return Recipe(task="unpadded-addition", batching="packed", model="seed", block_size=block_size,
                  batch_size=32, steps=steps, lr=3e-3, warmup=100, train_frac=train_frac,
                  loss_on="all" if mask == "whole stream" else "answer", eval_prompts=EVAL_EXAMPLES)


def split_metrics(model, task, recipe, examples, batches) -> tuple[float, float, float, int]:
    """(loss over the training targets, TF exact match, AR exact match, examples where TF and AR differ)."""
    from minimodel.evaluate import ar_eval, prompt_and_answer, prompt_prefix, tf_answers, tf_losses

    prefix = prompt_prefix(task, recipe.batching)
    tf_right = [p == prompt_and_answer(task, ex, prefix)[1]
                for p, ex in zip(tf_answers(model, task, examples, prefix), examples)]
    ar = ar_eval(model, task, examples, prefix, n_samples=len(examples))
    ar_right = [s["exact"] for s in ar["samples"]]
    return (tf_losses(model, batches, task.tokenizer)["loss"], sum(tf_right) / len(examples), ar["exact_match"],
            sum(t != a for t, a in zip(tf_right, ar_right)))


def train_cell(job: tuple[str, str, int, int]) -> Cell:
    """Train one cell (experiment, mask, seed, steps) and measure both splits, the report's way."""
    import torch

    from minimodel.catalogue import find_break
    from minimodel.data import BATCHERS
    from minimodel.evaluate import ar_eval, prompt_prefix
    from minimodel.files import now
    from minimodel.harness.runner import execute

    experiment, mask, seed, steps = job
    recipe = recipe_for(experiment, mask, steps)
    broken = find_break("broken-truncated-mask").replaces if mask == "per-block mask" else {}
    curve: list[tuple[int, float]] = []
    measured: dict[str, tuple[float, float, float, int]] = {}
    every = max(steps // CURVE_POINTS, 1)

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

    t0 = time.perf_counter()
    run = execute(recipe, seed, broken, owner="the report's per-block mask", after_step=after_step)
    (tl, ttf, tar, tdiff), (vl, vtf, var, vdiff) = measured["train"], measured["val"]
    return Cell(experiment, mask, seed, steps, (tl, vl, ttf, vtf, tar, var), run.metrics["ignored_answer_share"],
                tuple(curve), (tdiff, vdiff), torch.get_num_threads(), settings.isa_label(),
                round(time.perf_counter() - t0, 1), now())


def load_results(path: Path = RESULTS) -> dict:
    """The results file: {"format", "machine", "cells": [...]}; an empty one when there is none yet."""
    if not path.exists():
        return {"format": FORMAT, "machine": "", "cells": []}
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} has format {data.get('format')!r}, this lab reads {FORMAT}; move it aside")
    return data


def cells_of(data: dict) -> list[Cell]:
    return [Cell(**{**c, "values": tuple(c["values"]), "ar_curve": tuple(map(tuple, c["ar_curve"])),
                    "tf_ar_differ": tuple(c["tf_ar_differ"])}) for c in data["cells"]]


def run_report(seeds: list[int], steps: int, experiments: list[str] | None = None, jobs: int = 1,
               echo=print, path: Path = RESULTS) -> list[Cell]:
    """Train every (experiment, mask, seed) not yet in the results file; save each cell as it finishes."""
    from minimodel.files import write_json
    from minimodel.harness.parallel import map_jobs

    chosen = experiments or list(EXPERIMENTS)
    unknown = [e for e in chosen if e not in EXPERIMENTS]
    if unknown:
        raise ValueError(f"unknown experiment(s) {', '.join(map(repr, unknown))}; experiments are: "
                         f"{', '.join(map(repr, EXPERIMENTS))}")
    data = load_results(path)
    done = {c.key for c in cells_of(data)}
    work = [(e, m, s, steps) for s in seeds for e in chosen for m in MASKS if (e, m, s, steps) not in done]
    echo(f"{len(work)} runs to train (6L/4H/128d, batch 32, {steps} steps), {jobs} at a time; "
         f"{len(done)} cells already in {path}")
    for i, cell in enumerate(map_jobs(train_cell, work, jobs), 1):
        data["cells"].append(dataclasses.asdict(cell))
        data["machine"] = settings.machine()
        write_json(path, data)
        shown = " ".join(f"{c} {_fmt(c, v)}" for c, v in zip(COLUMNS, cell.values))
        echo(f"  [{i}/{len(work)}] {cell.experiment}, {cell.mask}, seed {cell.seed}: {shown}; "
             f"answer tokens ignored {cell.ignored_answer_share:.1%} ({cell.seconds:.0f} s)")
    return cells_of(data)


def _fmt(col: str, v: float) -> str:
    return f"{v:.3f}" if "loss" in col else f"{v:.1%}"
