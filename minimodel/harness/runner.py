"""One run of a recipe, seams replaced or not: build, train, then measure everything side by side."""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from minimodel import competence, seams
from minimodel.data import BATCHERS, CollatorLabels
from minimodel.evaluate import tf_losses
from minimodel.metrics import Metrics, measure, task_score, training_facts
from minimodel.model import GPT, preset
from minimodel.probes import leak_gradient
from minimodel.recipes import Recipe
from minimodel.tasks import Task
from minimodel.train import accumulation_gap, train


@dataclass
class RunResult:
    recipe: Recipe
    seed: int
    replacements: dict[str, Callable]  # the seams that did not run their healthy code
    metrics: Metrics
    train_losses: list[float]
    model: GPT = field(repr=False)
    task: Task = field(repr=False)
    seconds: float = 0.0
    owner: str = "a replacement"

    def installed(self):
        """The seams this run trained with, for inspecting its model afterwards (heatmaps, samples)."""
        return seams.replaced(self.replacements, self.owner)


def run_data(recipe: Recipe, seed: int):
    """The task, the training batcher, and fixed held-out and training probe batches for a seed."""
    task = recipe.make_task(seed)
    Batcher = BATCHERS[recipe.batching]
    train_data = Batcher(task, task.train, recipe.block_size, recipe.batch_size, recipe.loss_on, seed=seed)
    val_data = Batcher(task, task.val, recipe.block_size, recipe.batch_size, recipe.loss_on, seed=seed)
    if recipe.labels == "aligned":  # the collator's convention: labels aligned with the inputs
        train_data, val_data = CollatorLabels(train_data), CollatorLabels(val_data)
    return task, train_data, val_data.fixed_batches(recipe.eval_batches), train_data.fixed_batches(recipe.eval_batches)


def training_batches(recipe: Recipe, task: Task, train_data, seed: int) -> Callable:
    """What each training step samples: the recipe's batches, after `pretrain_steps` steps of language modelling
    (the loss on every token of the same examples), as fine-tuning starts from a pretrained model."""
    if not recipe.pretrain_steps:
        return train_data.sample
    lm = BATCHERS[recipe.batching](task, task.train, recipe.block_size, recipe.batch_size, "all", seed=seed)
    step = itertools.count()
    return lambda: (lm if next(step) < recipe.pretrain_steps else train_data).sample()


# When a run stops: a step, or a function that gives the healthy control's last step once it is known
# (None until then; with wait=True it waits for it)
StopAt = int | Callable[[bool], int | None]


def execute(recipe: Recipe, seed: int = 0, replacements: Mapping[str, Callable] | None = None,
            owner: str = "a replacement", progress: bool = False, label: str = "train",
            after_step: Callable[[int, GPT, Task], None] | None = None, until_competent: bool = False,
            stop_at: StopAt | None = None) -> RunResult:
    """Build task, data and model from `seed`, train with the replacements installed, measure.

    A healthy run measures its task score 15 times along the way (`competence.every`); with `until_competent`
    it stops at the first of them where it is competent with the margin (`competence.done`), as a verdict's
    control does. A run beside such a control stops where the control did (`stop_at`): it keeps its weights at
    each of those measuring steps until it knows which one, so the two always see the same steps."""
    replacements = seams.not_healthy(replacements or {})
    t0 = time.perf_counter()
    with seams.replaced(replacements, owner):
        task, train_data, val_batches, train_probe = run_data(recipe, seed)
        tok = task.tokenizer
        torch.manual_seed(seed)
        model = GPT(preset(recipe.model, vocab_size=tok.vocab_size, block_size=recipe.block_size,
                           dropout=recipe.dropout))
        model.eval()
        leak = leak_gradient(model, val_batches[0].x[:2])
        loss_init = tf_losses(model, val_batches, tok)["loss"]
        k = recipe.micro_batches
        accumulation = accumulation_gap(model, train_probe[0], k) if k > 1 else None
        reached: list[int] = []
        every = competence.every(recipe.steps)
        kept: dict[int, dict] = {}  # beside a control still training: the weights at each measuring step

        def watch(step: int) -> bool:
            stop = False
            measuring = step % every == 0 or step == recipe.steps
            if isinstance(stop_at, int):
                stop = step >= stop_at
            elif callable(stop_at):  # asked every step: the control's result ends this run as soon as it arrives
                last = stop_at(False)
                if last is None and measuring:
                    kept[step] = {name: t.detach().clone() for name, t in model.state_dict().items()}
                stop = last is not None and step >= last
            elif measuring and not replacements and (until_competent or not reached):
                model.eval()  # a healthy run: when does it reach the competence bar?
                score = task_score(model, task, recipe)
                if not reached and score >= competence.bars(bool(task.recall))[0]:
                    reached.append(step)
                stop = until_competent and competence.done(score, bool(reached), bool(task.recall))
            if after_step is not None:
                after_step(step, model, task)
            return stop

        losses = train(model, training_batches(recipe, task, train_data, seed), recipe, progress=progress,
                       label=label, after_step=watch)
        if callable(stop_at):  # the control stopped earlier than this run: back to the weights at its last step
            last = stop_at(True)
            if last < len(losses):
                model.load_state_dict(kept[last])
                losses = losses[:last]
        metrics = measure(model, task, recipe, val_batches, train_probe)
    metrics.update(training_facts(task, recipe, losses, leak, loss_init), steps_to_bar=next(iter(reached), None),
                   accumulation_gap=accumulation)
    return RunResult(recipe, seed, replacements, metrics, losses, model, task,
                     time.perf_counter() - t0, owner)


def remeasure(trained: RunResult, replacements: Mapping[str, Callable], owner: str = "a replacement") -> RunResult:
    """A trained run measured again with evaluation-only seams replaced.

    Training never calls those seams, so training under them would give this very model: only the
    measurements differ, and only they are redone.
    """
    if not seams.evaluation_only(replacements):
        raise ValueError(f"remeasure needs evaluation-only seams, got {sorted(replacements)}")
    t0 = time.perf_counter()
    with seams.replaced(replacements, owner):
        task, _, val_batches, train_probe = run_data(trained.recipe, trained.seed)
        metrics = {**trained.metrics, **measure(trained.model, task, trained.recipe, val_batches, train_probe)}
    return RunResult(trained.recipe, trained.seed, dict(replacements), metrics, trained.train_losses,
                     trained.model, task, time.perf_counter() - t0, owner)
