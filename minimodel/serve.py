"""Serving: prompts in the serving format, left-padded into one batch, decoded greedily with a KV cache.

The lab's reference generation (`evaluate.generate`) feeds each group of equally long prompts the
whole sequence again at every step, exactly as training saw it. A served model works the way inference
stacks do: prompts of different lengths share one batch, padded on the left so that every row's next token
lands in the last column; an attention mask hides the padding; position ids count real tokens only; a KV
cache keeps the past, so each step feeds one new token. Healthy, both give the same tokens (tests prove
it); each of these parts is a seam where a real bug lives.
"""
from __future__ import annotations

import torch

from minimodel import seams
from minimodel.evaluate import generate, prompt_and_answer
from minimodel.tasks import Example, Task


def serving_prompts(task: Task, examples: list[Example], start_id: int) -> list[list[int]]:
    """Each example's prompt the way a serving stack builds it (the `serving_prompt` seam)."""
    tok = task.tokenizer
    return [seams.serving_prompt(tok.encode(ex.prompt), start_id, tok.sep_id) for ex in examples]


def left_pad(prompts: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L) ids padded on the left to the longest prompt, and the (B, L) attention mask (1: a real token)."""
    L = max(map(len, prompts))
    idx = torch.tensor([[pad_id] * (L - len(p)) + p for p in prompts])  # (B, L)
    mask = torch.tensor([[0] * (L - len(p)) + [1] * len(p) for p in prompts])  # (B, L)
    return idx, mask


@torch.no_grad()
def serve(model, prompts: list[list[int]], max_new_tokens: int, eos_id: int, pad_id: int,
          use_cache: bool = True) -> list[list[int]]:
    """Greedy continuations of prompts of any lengths in one left-padded batch, each cut after its stop token.

    With the cache, a prefill runs the prompts once and each later step feeds only the newest token;
    without it, every step runs the whole padded sequence again."""
    seq, mask = left_pad(prompts, pad_id)  # (B, L), (B, L)
    start = seq.shape[1]
    assert start + max_new_tokens - 1 <= model.cfg.block_size, "serving keeps the whole sequence: it must fit the block"
    cache = model.new_cache(len(prompts)) if use_cache else None
    for step in range(max_new_tokens):
        pos = seams.position_ids(mask)  # (B, L + step) positions counted over real tokens
        fresh = 1 if use_cache and step else seq.shape[1]  # the prefill (or no cache): everything
        logits, _ = model(seq[:, -fresh:], attention_mask=mask, position_ids=pos[:, -fresh:], cache=cache)
        nxt = seams.pick_next_token(logits)  # (B,)
        seq = torch.cat([seq, nxt[:, None]], dim=1)  # (B, L + step + 1)
        mask = torch.cat([mask, torch.ones_like(nxt)[:, None]], dim=1)
        if bool((seq[:, start:] == eos_id).any(1).all()):
            break
    out = []
    for row in seq[:, start:].tolist():
        out.append(row[: row.index(eos_id) + 1] if eos_id in row else row)
    return out


def continued(model, idx: torch.Tensor, cut: int, forward=None) -> torch.Tensor:
    """Logits (B, T, V) of ids (B, T): the first `cut` tokens in one call (the prefill), then one token a call,
    continuing a KV cache. Healthy, they equal one forward over the whole sequence up to float rounding.
    `forward(ids, cache=...)` calls the model (default: the model itself)."""
    forward = forward or model
    cache = model.new_cache(idx.shape[0])
    steps = [forward(idx[:, :cut], cache=cache)[0]]  # (B, cut, V)
    steps += [forward(idx[:, t:t + 1], cache=cache)[0] for t in range(cut, idx.shape[1])]  # each (B, 1, V)
    return torch.cat(steps, dim=1)  # (B, T, V)


def serving_eval(model, task: Task, examples: list[Example], prefix: list[int], budget: int) -> dict:
    """Serve every held-out prompt and compare: with the training format, alone, uncached. See `metrics.Serving`.

    A seam that breaks serving itself (a next-token pick that reads a position a cached step does not have)
    is reported as the error it raised, never as a crashed run."""
    tok = task.tokenizer
    prompts = serving_prompts(task, examples, prefix[-1])
    trained = [prompt_and_answer(task, ex, prefix) for ex in examples]  # what training put before each answer
    try:
        cached = serve(model, prompts, budget, tok.eos_id, tok.pad_id)
        uncached = serve(model, prompts, budget, tok.eos_id, tok.pad_id, use_cache=False)
        alone = generate(model, prompts, budget, tok.eos_id)  # no padding (grouped by length), no cache
    except Exception as e:  # a replaced seam's code: the finding says what failed
        return {"error": f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"}

    def share(flags) -> float:
        return sum(flags) / len(examples)

    return {"exact_match": share(c == a for c, (_, a) in zip(cached, trained)),
            "prompt_differs": share(p != t for p, (t, _) in zip(prompts, trained)),
            "batched_differs": share(u != a for u, a in zip(uncached, alone)),
            "cached_differs": share(c != u for c, u in zip(cached, uncached)),
            "cached_first_differs": share(c[:1] != u[:1] for c, u in zip(cached, uncached))}
