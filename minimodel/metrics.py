"""What a run measures: the metrics schema, one line per field, and the functions that fill it.

Detectors, break questions, the notebook, the verdict and the grader all read a run through this
schema; a manifest's "metrics" is one `Metrics`. Keys that hold a number per answer length are ints
here and strings once the metrics went through JSON.
"""
from __future__ import annotations

import math
from typing import NotRequired, TypedDict

import torch

from minimodel import seams
from minimodel.data import Batch, encode_example
from minimodel.evaluate import (ambiguous_prompt_share, ar_eval, first_token_agreement, free_run, prompt_and_answer,
                                prompt_prefix, recall, tf_exact_match, tf_losses)
from minimodel.probes import future_attention_mass, record_attention
from minimodel.recipes import Recipe
from minimodel.seams import IGNORE_INDEX
from minimodel.serve import continued, serving_eval
from minimodel.tasks import Example, Task


class TFLosses(TypedDict):
    loss: NotRequired[float]  # the loss the model trains on (the loss seams), on held-out batches
    answer: NotRequired[float]  # loss over every true answer token and its stop, whatever the targets say
    next_token: NotRequired[float]  # loss against every true next token that is not PAD, BOS or PAUSE
    answer_token_accuracy: NotRequired[float]  # share of answer tokens whose teacher-forced argmax is right
    by_kind: dict[str, float]  # the training loss per kind of target: digit, sep, eos, other, pad, ...
    supervised_share: float  # share of target positions that are supervised (not the ignore index)


class Sample(TypedDict):
    prompt: str  # the held-out prompt, as text
    target: str  # the answer it owes
    generated: str  # what greedy generation produced (the stop token removed)
    stopped: bool  # a stop token came out within the budget
    exact: bool  # the answer and its stop came out exactly


class AREval(TypedDict):
    exact_match: float  # share of held-out prompts whose greedy continuation is the answer and its stop
    malformed_share: float  # share of continuations that are not an answer (answer characters, then the stop)
    exact_by_answer_length: dict[int, float]  # exact match per answer length in characters
    stop_rate: float  # share of continuations that end with the stop token
    stop_rate_by_answer_length: dict[int, float]  # the stop rate per answer length
    budget: int  # tokens generated at most (the generation_budget seam)
    right_but_no_stop: float  # share whose answer digits came out right but no stop followed
    samples: list[Sample]  # the first few, shown beside their targets


class FreeRun(TypedDict):
    loop_share: float  # share of 24-token continuations past the stop that end in a loop of 1-3 tokens
    texts: list[str]  # the first four continuations


class RecallProbe(TypedDict):
    prompt: str  # a recall prompt of the task ("" is BOS alone)
    expected: str  # the exact continuation greedy decoding owes
    generated: str  # what it produced
    correct_share: float  # share of the expected text produced before the first mistake


class Serving(TypedDict):
    exact_match: float  # greedy exact match served as inference stacks do: serving prompts, one left-padded batch,
    # the KV cache (minimodel.serve)
    prompt_differs: float  # share of prompts whose serving ids differ from what training put before the answer
    batched_differs: float  # share whose continuation in the left-padded batch differs from the prompt's alone
    cached_differs: float  # share whose continuation with the KV cache differs from the one without
    cached_first_differs: float  # the same for the first generated token only (it comes from the prefill)
    error: NotRequired[str]  # what serving raised, when a replaced seam broke it (then no other field is set)


class Metrics(TypedDict):
    tf: TFLosses  # teacher-forced losses on held-out batches
    tf_exact_match: float  # share of held-out examples whose every answer token is the teacher-forced argmax
    tf_exact_by_answer_length: dict[int, float]  # the same per answer length in characters
    ar: AREval  # greedy (autoregressive) generation from held-out prompts
    accuracy: float  # the accuracy a report leads with (the headline_accuracy seam)
    first_token_agreement: float  # share of prompts whose first generated token is the forward pass's argmax
    ambiguous_prompt_share: float  # share of held-out prompts the data itself continues in more than one way
    off_answer_target_share: float  # share of supervised training targets that are not answer tokens
    free_run: FreeRun  # generation past the stop token
    future_attention: float  # mean attention mass above the diagonal, on held-out examples
    far_future_attention: float  # the same on keys two or more positions ahead (beyond the next token)
    attention_row_error: float  # mean |sum of a query's attention weights - 1|
    recall: list[RecallProbe]  # regeneration from the task's recall prompts (empty on addition)
    serving: Serving  # the held-out prompts served the way inference stacks serve them
    eval_repeat_change: float  # largest change of held-out logits between two identical evaluations, relative to
    # the largest logit: 0 when evaluation is deterministic
    cache_change: float | None  # largest change of a held-out example's logits continued from the KV cache (the prompt,
    # then one answer token a call) against one forward over the whole example, relative: 0 up to float rounding
    packing_change: float  # largest change of a held-out example's logits when packed in one row with others
    # (document mask and positions from the seams) against on its own row, relative: 0 up to float rounding
    labels_two_ahead_share: float  # share of supervised training targets that are the token two ahead (where it
    # differs from the next one): the model would learn to skip a token
    ignored_answer_share: float  # share of true answer targets carrying the ignore index (training batches)
    special_target_share: float  # share of supervised training targets that are PAD, PAUSE or BOS
    leak: float  # the leak test at initialisation: gradient share from earlier logits to later inputs
    loss_init: float  # held-out loss before the first step
    ln_vocab: float  # ln V: the loss of a uniform guess
    entropy_floor: float  # the lowest mean loss a causal model can reach on these targets (0: answer only)
    train_loss: float  # mean training loss over the last 10 steps
    steps: int  # training steps run
    schedule_steps: int  # the steps the recipe plans, over which the learning rate decays; a verdict's runs stop
    # sooner, at the same step, once the healthy control is competent (minimodel.competence.done)
    steps_to_low_loss: int | None  # first step whose training loss was under LOW_LOSS (None: never)
    train_non_finite: int  # training steps whose loss was NaN or infinite
    first_non_finite_step: int | None  # the first of them (counting from 1): the batch that did it
    accumulation_gap: float | None  # |accumulated - full-batch gradient| / |full-batch gradient| at initialisation,
    # on a recipe that accumulates over micro-batches (None on one that does not): 0 up to float rounding
    steps_to_bar: int | None  # a healthy run: the first step (measured 15 times along the run) at which its task
    # score reached the competence bar (minimodel.competence); None if it never did, or a seam was replaced


LOW_LOSS = 0.1  # nats: "learned it" for a text with nothing random in it


def measure(model, task: Task, recipe: Recipe, val_batches: list[Batch], train_batches: list[Batch]) -> dict:
    """Everything measured on a trained model: the first fields of `Metrics`, up to special_target_share."""
    tok, prefix = task.tokenizer, prompt_prefix(task, recipe.batching)
    prompts = task.val[: recipe.eval_prompts]
    ignored, special = target_shares(train_batches, task.tokenizer.special_ids)
    with record_attention(model) as weights:
        val_batches[0].rows(8).forward(model)
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
        "off_answer_target_share": off_answer_share(train_batches),
        "free_run": free_run(model, task, prompts[:32], prefix),
        "future_attention": future_attention_mass(weights),
        "far_future_attention": future_attention_mass(weights, ahead=2),
        "attention_row_error": attention_row_error(weights),
        "recall": recall(model, task, prefix),
        "serving": serving_eval(model, task, prompts, prefix, seams.generation_budget(task.longest_answer)),
        "eval_repeat_change": repeat_change(model, val_batches[0]),
        "cache_change": cache_change(model, task, prompts[:8], prefix),
        "packing_change": packing_change(model, task, prompts[:8], prefix),
        "labels_two_ahead_share": two_ahead_share(train_batches),
        "ignored_answer_share": ignored,
        "special_target_share": special,
    }


def relative_change(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest |a - b| relative to the largest |a|: 0 when nothing moved; NaN anywhere gives NaN, which fires."""
    return float((a - b).abs().max() / a.abs().max().clamp_min(1e-12))


@torch.no_grad()
def repeat_change(model, batch: Batch) -> float:
    """Evaluate the same batch twice: the largest change of a logit, relative to the largest (0: deterministic)."""
    return relative_change(batch.forward(model), batch.forward(model))  # 2 x (B, T, V)


@torch.no_grad()
def cache_change(model, task: Task, examples: list[Example], prefix: list[int]) -> float | None:
    """Each example fed with the KV cache as generation feeds it (the prompt in one call, then one answer token a
    call) against one forward over the whole example: the largest change of a logit, relative to the largest
    (0 up to float rounding: a cache must change nothing). The answer is the data's, not the model's, so a
    model that answers wrong still compares like with like. None when a replaced seam makes the cache raise
    (serving reports that error)."""
    changes = []
    for ex in examples:
        prompt, answer = prompt_and_answer(task, ex, prefix)
        idx = torch.tensor([prompt + answer[:-1]])  # (1, T) the stop is never an input
        try:
            changes.append(relative_change(model(idx)[0], continued(model, idx, len(prompt))))
        except Exception:  # a replaced seam's code
            return None
    return float(torch.tensor(changes).max())  # NaN anywhere stays NaN


@torch.no_grad()
def packing_change(model, task: Task, examples: list[Example], prefix: list[int]) -> float:
    """Pack the examples' tokens in one row (document mask and positions from the seams), run each alone too:
    the largest change of a logit at the same token, relative to the largest (0: packing changes nothing)."""
    seqs, docs, length = [], [], 0
    for i, ex in enumerate(examples):
        ids = prefix + encode_example(task, ex)[0][:-1]  # the stop is never an input
        if length + len(ids) > model.cfg.block_size:
            break
        seqs.append(ids)
        docs += [i] * len(ids)
        length += len(ids)
    doc = torch.tensor([docs])  # (1, T)
    packed, _ = model(torch.tensor([sum(seqs, [])]), attention_mask=seams.document_mask(doc),
                      position_ids=seams.document_positions(doc))  # (1, T, V)
    alone = torch.cat([model(torch.tensor([ids]))[0][0] for ids in seqs])  # (T, V)
    return relative_change(alone, packed[0])


def two_ahead_share(batches: list[Batch]) -> float:
    """Share of supervised targets equal to the token two ahead of their input where it differs from the next."""
    hits = counted = 0
    for b in batches:
        nxt, after = b.next_tokens[:, :-1], b.next_tokens[:, 1:]  # (B, T-1) the tokens at t + 1 and t + 2
        y = b.y[:, :-1]
        counted_here = (y != IGNORE_INDEX) & (nxt != after)
        hits += int((counted_here & (y == after)).sum())
        counted += int(counted_here.sum())
    return hits / max(counted, 1)


def task_score(model, task: Task, recipe: Recipe) -> float:
    """The score competence is judged on (minimodel.competence.score), measured on the model as it is now."""
    prefix = prompt_prefix(task, recipe.batching)
    if task.recall:
        return min(p["correct_share"] for p in recall(model, task, prefix))
    return ar_eval(model, task, task.val[: recipe.eval_prompts], prefix, 0)["exact_match"]


def training_facts(task: Task, recipe: Recipe, losses: list[float], leak: float, loss_init: float) -> dict:
    """The fields of `Metrics` that describe the training itself, from `leak` on."""
    return {"leak": leak, "loss_init": loss_init, "ln_vocab": math.log(task.tokenizer.vocab_size),
            "entropy_floor": entropy_floor(task, recipe),
            "train_loss": sum(losses[-10:]) / len(losses[-10:]),
            "steps": len(losses), "schedule_steps": recipe.steps, "steps_to_low_loss": steps_to_low_loss(losses),
            "train_non_finite": count_non_finite(losses),
            "first_non_finite_step": next((i + 1 for i, x in enumerate(losses) if not math.isfinite(x)), None)}


def target_shares(batches: list[Batch], special_ids: list[int]) -> tuple[float, float]:
    """(share of true answer targets that are ignored, share of supervised targets that are special)."""
    ignored = answers = special = supervised = 0
    for b in batches:
        sup = b.y != IGNORE_INDEX
        ignored += int((b.is_answer & ~sup).sum())
        answers += int(b.is_answer.sum())
        special += int((sup & torch.isin(b.y, torch.tensor(special_ids))).sum())
        supervised += int(sup.sum())
    return ignored / max(answers, 1), special / max(supervised, 1)


def off_answer_share(batches: list[Batch]) -> float:
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


def count_non_finite(value) -> int:
    """How many numbers in `value` (a number, or dicts and lists of them, nested) are NaN or infinite."""
    if isinstance(value, dict):
        return sum(count_non_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_non_finite(v) for v in value)
    return int(isinstance(value, float) and not math.isfinite(value))
