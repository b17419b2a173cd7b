"""Evaluation side by side: TF losses, TF exact match, greedy AR exact match and samples."""
from __future__ import annotations

from collections import defaultdict

import torch

from minimodel import seams
from minimodel.data import Batch, encode_example
from minimodel.seams import IGNORE_INDEX
from minimodel.tasks import Example, Task


@torch.no_grad()
def tf_losses(model, batches: list[Batch], tok) -> dict:
    """Teacher-forced losses: the loss the model trains on (the loss seams, summed over every batch), the
    loss over true answer tokens, over every true next token (whatever the targets say), per token kind."""
    sums: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for b in batches:
        logits = b.forward(model)  # (B, T, V)
        losses = seams.token_losses(logits, b.y)  # (B, T) against the training targets, 0 where ignored
        averaged = seams.loss_mask(b.y)  # (B, T) the positions the training loss is averaged over
        true_losses = seams.token_losses(logits, b.next_tokens)  # (B, T) against every true next token
        sums["loss"] += float(losses[averaged].sum())
        counts["loss"] += int(averaged.sum())
        sums["answer"] += float(true_losses[b.is_answer].sum())
        counts["answer"] += int(b.is_answer.sum())
        real = ~torch.isin(b.next_tokens, torch.tensor(tok.special_ids))  # (B, T) next token is not PAD/BOS/PAUSE
        sums["next_token"] += float(true_losses[real].sum())
        counts["next_token"] += int(real.sum())
        hits = logits.argmax(-1) == b.next_tokens  # (B, T) teacher-forced argmax right?
        sums["answer_token_accuracy"] += float(hits[b.is_answer].sum())
        supervised = b.y != IGNORE_INDEX  # (B, T)
        counts["supervised"] += int(supervised.sum())
        for t, loss in zip(b.y[supervised].tolist(), losses[supervised].tolist()):
            kind = tok.kind(t)
            sums[kind] += loss
            counts[kind] += 1
    named = ("loss", "answer", "next_token", "supervised")
    out = {k: sums[k] / counts[k] for k in named[:3] if counts[k]}
    if counts["answer"]:  # share of answer tokens whose teacher-forced argmax is right (Trainer-style)
        out["answer_token_accuracy"] = sums["answer_token_accuracy"] / counts["answer"]
    out["by_kind"] = {k: sums[k] / counts[k] for k in sorted(counts) if k not in named}
    out["supervised_share"] = counts["supervised"] / sum(b.y.numel() for b in batches)
    return out


def prompt_prefix(task: Task, batching: str) -> list[int]:
    """What precedes a prompt in training: the previous example's stop (packed) or BOS (rows)."""
    tok = task.tokenizer
    return [tok.eos_id] if batching == "packed" else [tok.bos_id]


def prompt_and_answer(task: Task, ex: Example, prefix: list[int]) -> tuple[list[int], list[int]]:
    """An example as (prompt tokens up to the answer, answer tokens including the stop)."""
    ids, n_answer = encode_example(task, ex)
    return prefix + ids[:-n_answer], ids[-n_answer:]


def _by_length(seqs: list[list[int]]) -> dict[int, list[int]]:
    groups: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(seqs):
        groups[len(s)].append(i)
    return groups


@torch.no_grad()
def tf_answers(model, task: Task, examples: list[Example], prefix: list[int]) -> list[list[int]]:
    """One forward pass over prompt + answer + stop: the argmax at every answer position."""
    pairs = [prompt_and_answer(task, ex, prefix) for ex in examples]
    full = [p + a for p, a in pairs]
    out: list[list[int]] = [[] for _ in examples]
    for _, idxs in _by_length(full).items():
        seq = torch.tensor([full[i] for i in idxs])  # (b, L)
        # the whole example in view, stop included; only when it overfills the block does the
        # stop (a target, never needed as input by a causal model) stay out, then the oldest tokens
        n = seq.shape[1] if seq.shape[1] <= model.cfg.block_size else seq.shape[1] - 1
        left = max(0, n - model.cfg.block_size)  # tokens cropped from the left
        logits, _ = model(seq[:, left:n])
        pred = logits.argmax(-1)  # (b, n - left): prediction for the next token at each position
        for row, i in enumerate(idxs):
            start = len(full[i]) - len(pairs[i][1])  # first answer position in the full sequence
            out[i] = pred[row, start - 1 - left: len(full[i]) - 1 - left].tolist()
    return out


def tf_exact_match(model, task: Task, examples: list[Example], prefix: list[int]) -> tuple[float, dict]:
    """One forward pass over prompt + answer + stop; every answer token's argmax must match.

    Returns the overall share and the share per answer length (in characters), to set beside AR's.
    """
    preds = tf_answers(model, task, examples, prefix)
    by_len: dict[int, list[bool]] = defaultdict(list)
    for p, ex in zip(preds, examples):
        by_len[len(ex.answer)].append(p == prompt_and_answer(task, ex, prefix)[1])
    overall = sum(sum(v) for v in by_len.values()) / len(examples)
    return overall, {n: sum(v) / len(v) for n, v in sorted(by_len.items())}


def ambiguous_prompt_share(task: Task, examples: list[Example]) -> float:
    """Share of prompts that the task's own data continues in more than one way.

    With a separator, a prompt is always followed by its answer. Without one, `5+6` also begins
    `5+61...`: the tokens alone cannot say where the answer starts.
    """
    following: dict[tuple[int, ...], set[int]] = defaultdict(set)
    for ex in task.train + task.val:
        ids = encode_example(task, ex)[0]
        for t in range(1, len(ids)):
            following[tuple(ids[:t])].add(ids[t])
    prompts = [tuple(prompt_and_answer(task, ex, [])[0]) for ex in examples]
    return sum(len(following[p]) > 1 for p in prompts) / len(prompts)


def first_token_agreement(model, task: Task, examples: list[Example], prefix: list[int]) -> float:
    """Share of prompts whose first generated token is the forward pass's argmax for that position.

    Greedy generation must start with exactly what a teacher-forced pass predicts for the first
    answer token, however well or badly the model is trained: a generator that disagrees reads
    the wrong logits.
    """
    forward = [p[:1] for p in tf_answers(model, task, examples, prefix)]
    generated = generate(model, [prompt_and_answer(task, ex, prefix)[0] for ex in examples], 1, task.tokenizer.eos_id)
    return sum(f == g for f, g in zip(forward, generated)) / len(examples)


@torch.no_grad()
def generate(model, prompts: list[list[int]], max_new_tokens: int, eos_id: int) -> list[list[int]]:
    """Greedy continuation of each prompt (batched by length), cut after the first stop token."""
    out: list[list[int]] = [[] for _ in prompts]
    for _, idxs in _by_length(prompts).items():
        seq = torch.tensor([prompts[i] for i in idxs])  # (b, L)
        start = seq.shape[1]
        for _ in range(max_new_tokens):
            logits, _ = model(seq[:, -model.cfg.block_size:])  # (b, L, V)
            nxt = seams.pick_next_token(logits)  # (b,)
            seq = torch.cat([seq, nxt[:, None]], dim=1)
            if bool((seq[:, start:] == eos_id).any(1).all()):
                break
        for row, i in enumerate(idxs):
            cont = seq[row, start:].tolist()
            out[i] = cont[: cont.index(eos_id) + 1] if eos_id in cont else cont
    return out


def continue_text(model, task: Task, text: str, prefix: list[int], max_new_tokens: int) -> str:
    """Greedy continuation of exactly `text` (nothing added to it: no separator), up to the stop token."""
    tok = task.tokenizer
    cont = generate(model, [prefix + tok.encode(text)], max_new_tokens, tok.eos_id)[0]
    return tok.decode(cont)


def ar_eval(model, task: Task, examples: list[Example], prefix: list[int], n_samples: int) -> dict:
    """Greedy generation from each prompt; exact when the answer and its stop token come out."""
    tok = task.tokenizer
    pairs = [prompt_and_answer(task, ex, prefix) for ex in examples]
    budget = seams.generation_budget(task.longest_answer)
    conts = generate(model, [p for p, _ in pairs], budget, tok.eos_id)
    exact = [c == a for c, (_, a) in zip(conts, pairs)]
    stopped = [bool(c) and c[-1] == tok.eos_id for c in conts]
    by_len: dict[int, list[bool]] = defaultdict(list)
    stop_by_len: dict[int, list[bool]] = defaultdict(list)
    for ex, ok, stop in zip(examples, exact, stopped):
        by_len[len(ex.answer)].append(ok)
        stop_by_len[len(ex.answer)].append(stop)
    samples = [{"prompt": ex.prompt, "target": ex.answer, "generated": tok.decode(c).rstrip("\n"),
                "stopped": bool(c) and c[-1] == tok.eos_id, "exact": ok}
               for ex, c, ok in zip(examples[:n_samples], conts, exact)]
    alphabet = {t for ex in task.train for t in tok.encode(ex.answer)}  # what answers are made of (digits)
    well_formed = [len(c) >= 2 and c[-1] == tok.eos_id and all(t in alphabet for t in c[:-1]) for c in conts]
    return {"exact_match": sum(exact) / len(exact),
            "malformed_share": 1 - sum(well_formed) / len(well_formed),
            "exact_by_answer_length": {n: sum(v) / len(v) for n, v in sorted(by_len.items())},
            "stop_rate": sum(stopped) / len(conts),
            "stop_rate_by_answer_length": {n: sum(v) / len(v) for n, v in sorted(stop_by_len.items())},
            "budget": budget,
            # the answer's digits came out right, but no stop followed within the budget
            "right_but_no_stop": sum(c[:len(a) - 1] == a[:-1] and tok.eos_id not in c
                                     for c, (_, a) in zip(conts, pairs)) / len(conts),
            "samples": samples}


def ends_in_loop(tokens: list[int], tail: int = 12, max_period: int = 3) -> bool:
    """True when the last `tail` tokens repeat with a period of at most `max_period` tokens."""
    end = tokens[-tail:]
    return len(end) == tail and any(all(end[i] == end[i - p] for i in range(p, tail))
                                    for p in range(1, max_period + 1))


def free_run(model, task: Task, examples: list[Example], prefix: list[int], n_tokens: int = 24) -> dict:
    """Generate past every stop token: does the model keep producing the task, or fall into a loop?"""
    prompts = [prompt_and_answer(task, ex, prefix)[0] for ex in examples]
    conts = generate(model, prompts, n_tokens, eos_id=-1)  # -1: never stop early
    tok = task.tokenizer
    return {"loop_share": sum(ends_in_loop(c) for c in conts) / len(conts),
            "texts": [tok.decode(c) for c in conts[:4]]}


def recall(model, task: Task, prefix: list[int]) -> list[dict]:
    """Greedy regeneration from each of the task's recall prompts (after `prefix`: BOS for rows).

    `correct_share` is the share of the expected continuation produced before the first mistake:
    1.0 when the text comes back exactly.
    """
    tok, out = task.tokenizer, []
    for prompt, expected in task.recall:
        want = tok.encode(expected)
        got = generate(model, [prefix + tok.encode(prompt)], len(want), tok.eos_id)[0]
        right = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), min(len(got), len(want)))
        out.append({"prompt": prompt, "expected": expected, "generated": tok.decode(got),
                    "correct_share": right / len(want)})
    return out
