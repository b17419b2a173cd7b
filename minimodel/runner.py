"""One run of a recipe, seams replaced or not: build, train, then measure everything side by side."""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from minimodel import seams
from minimodel.data import BATCHERS, encode_example
from minimodel.evaluate import (ambiguous_prompt_share, ar_eval, first_token_agreement, free_run, prompt_prefix,
                                recall, tf_exact_match, tf_losses)
from minimodel.model import GPT, preset
from minimodel.probes import future_attention_mass, leak_gradient, record_attention
from minimodel.recipes import Recipe
from minimodel.seams import IGNORE_INDEX
from minimodel.tasks import Task
from minimodel.train import train


@dataclass
class RunResult:
    recipe: Recipe
    seed: int
    replacements: dict[str, Callable]  # the seams that did not run their healthy code
    metrics: dict
    train_losses: list[float]
    model: GPT = field(repr=False)
    task: Task = field(repr=False)
    seconds: float = 0.0
    owner: str = "a replacement"

    def installed(self):
        """The seams this run trained with, for inspecting its model afterwards (heatmaps, samples)."""
        return seams.replaced(self.replacements, self.owner)


def _target_shares(batches, special_ids) -> tuple[float, float]:
    """(share of true answer targets that are ignored, share of supervised targets that are special)."""
    ignored = answers = special = supervised = 0
    for b in batches:
        sup = b.y != IGNORE_INDEX
        ignored += int((b.is_answer & ~sup).sum())
        answers += int(b.is_answer.sum())
        special += int((sup & torch.isin(b.y, torch.tensor(special_ids))).sum())
        supervised += int(sup.sum())
    return ignored / max(answers, 1), special / max(supervised, 1)


def _off_answer_share(batches) -> float:
    """Share of supervised targets that are not answer tokens (prompt digits, '+', '=', BOS...)."""
    off = supervised = 0
    for b in batches:
        sup = b.y != IGNORE_INDEX
        off += int((sup & ~b.is_answer).sum())
        supervised += int(sup.sum())
    return off / max(supervised, 1)


def attention_row_error(weights: list[torch.Tensor]) -> float:
    """Mean |sum over the keys - 1| of every query's attention row: 0 when each row is a distribution."""
    return float(torch.stack([(w.sum(-1) - 1).abs().mean() for w in weights]).mean())  # w: (B, nh, T, T)


LOW_LOSS = 0.1  # nats: "learned it" for a text with nothing random in it


def steps_to_low_loss(losses: list[float]) -> int | None:
    """The first training step (counting from 1) whose loss is under LOW_LOSS; None if none was."""
    return next((i + 1 for i, loss in enumerate(losses) if loss < LOW_LOSS), None)


def entropy_floor(task: Task, recipe: Recipe) -> float:
    """Lowest mean loss a causal model can reach on the supervised targets of this data.

    Only the operands are random: an example carries `task.entropy_per_example` nats, spread
    over its supervised (non-special) tokens. Answer-only targets are determined: floor 0.
    """
    if recipe.loss_on == "answer":
        return 0.0
    specials = set(task.tokenizer.special_ids)
    n_targets = sum(sum(t not in specials for t in encode_example(task, ex)[0]) for ex in task.train)
    return task.entropy_per_example * len(task.train) / n_targets


def measure(model: GPT, task: Task, recipe: Recipe, val_batches, train_batches) -> dict:
    tok, prefix = task.tokenizer, prompt_prefix(task, recipe.batching)
    prompts = task.val[: recipe.eval_prompts]
    ignored, special = _target_shares(train_batches, task.tokenizer.special_ids)
    with record_attention(model) as weights:
        model(val_batches[0].x[:8])
    tf, ar = tf_losses(model, val_batches, tok), ar_eval(model, task, prompts, prefix, recipe.n_samples)
    tf_exact, tf_exact_by_length = tf_exact_match(model, task, prompts, prefix)
    return {
        "tf": tf,
        "tf_exact_match": tf_exact,
        "tf_exact_by_answer_length": tf_exact_by_length,
        "ar": ar,
        "accuracy": seams.headline_accuracy(tf.get("answer_token_accuracy", 0.0), ar["exact_match"]),
        "first_token_agreement": first_token_agreement(model, task, prompts, prefix),
        "ambiguous_prompt_share": ambiguous_prompt_share(task, prompts),
        "off_answer_target_share": _off_answer_share(train_batches),
        "free_run": free_run(model, task, prompts[:32], prefix),
        "future_attention": future_attention_mass(weights),
        "attention_row_error": attention_row_error(weights),
        "recall": recall(model, task, prefix),
        "ignored_answer_share": ignored,
        "special_target_share": special,
    }


def _data(recipe: Recipe, seed: int):
    """The task, the training batcher, and fixed held-out and training probe batches for a seed."""
    task = recipe.make_task(seed)
    Batcher = BATCHERS[recipe.batching]
    train_data = Batcher(task, task.train, recipe.block_size, recipe.batch_size, recipe.loss_on, seed=seed)
    val_data = Batcher(task, task.val, recipe.block_size, recipe.batch_size, recipe.loss_on, seed=seed)
    return task, train_data, val_data.fixed_batches(recipe.eval_batches), train_data.fixed_batches(recipe.eval_batches)


def execute(recipe: Recipe, seed: int = 0, replacements: Mapping[str, Callable] | None = None,
            owner: str = "a replacement", progress: bool = False, label: str = "train",
            after_step: Callable[[int, GPT, Task], None] | None = None) -> RunResult:
    """Build task, data and model from `seed`, train with the replacements installed, measure."""
    replacements = {k: fn for k, fn in (replacements or {}).items()
                    if fn is not getattr(seams.REGISTRY.get(k), "healthy", None)}
    t0 = time.perf_counter()
    with seams.replaced(replacements, owner):
        task, train_data, val_batches, train_probe = _data(recipe, seed)
        tok = task.tokenizer
        torch.manual_seed(seed)
        model = GPT(preset(recipe.model, vocab_size=tok.vocab_size, block_size=recipe.block_size))
        model.eval()
        leak = leak_gradient(model, val_batches[0].x[:2])
        loss_init = tf_losses(model, val_batches, tok)["loss"]
        watch = None if after_step is None else (lambda step: after_step(step, model, task))
        losses = train(model, train_data.sample, recipe, progress=progress, label=label, after_step=watch)
        metrics = measure(model, task, recipe, val_batches, train_probe)
    metrics.update(leak=leak, loss_init=loss_init, ln_vocab=math.log(tok.vocab_size),
                   entropy_floor=entropy_floor(task, recipe),
                   train_loss=sum(losses[-10:]) / len(losses[-10:]),
                   steps=len(losses), steps_to_low_loss=steps_to_low_loss(losses))
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
        task, _, val_batches, train_probe = _data(trained.recipe, trained.seed)
        metrics = {**trained.metrics, **measure(trained.model, task, trained.recipe, val_batches, train_probe)}
    return RunResult(trained.recipe, trained.seed, dict(replacements), metrics, trained.train_losses,
                     trained.model, task, time.perf_counter() - t0, owner)
