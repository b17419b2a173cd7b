"""The training loop: AdamW, linear warm-up then cosine decay, gradient clipping, a progress bar."""
from __future__ import annotations

import math
from collections.abc import Callable

import torch

from minimodel import seams
from minimodel.recipes import Recipe


def lr_at(step: int, r: Recipe) -> float:
    if step < r.warmup:
        return r.lr * (step + 1) / r.warmup
    progress = (step - r.warmup) / max(1, r.steps - r.warmup)
    return r.lr * (r.min_lr_frac + (1 - r.min_lr_frac) * 0.5 * (1 + math.cos(math.pi * progress)))


def make_optimizer(model: torch.nn.Module, r: Recipe) -> torch.optim.AdamW:
    # decay matrices only: biases, LayerNorm gains and embeddings' 1-D params stay free
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": r.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=r.lr, betas=(0.9, 0.99), fused=True)


def backward(model: torch.nn.Module, batch, micro_batches: int = 1) -> torch.Tensor:
    """Backpropagate the batch's loss, in `micro_batches` parts (gradient accumulation); returns the loss.

    Each part's summed token losses are divided by the `accumulation_divisor` seam (healthy: the supervised
    count of the whole batch), so the parts' gradients add up to the full batch's."""
    if micro_batches == 1:
        _, loss = batch.forward(model, targets=True)
        loss.backward()
        return loss.detach()
    batch_count = int(seams.loss_mask(batch.y).sum())
    total = torch.zeros(())
    for part in batch.split(micro_batches):
        logits = part.forward(model)  # (b, T, V)
        kept = seams.loss_mask(part.y)  # (b, T)
        summed = seams.token_losses(logits, part.y)[kept].sum()
        share = summed / seams.accumulation_divisor(int(kept.sum()), batch_count, micro_batches)
        share.backward()
        total += share.detach()
    return total


def accumulation_gap(model: torch.nn.Module, batch, micro_batches: int) -> float:
    """|accumulated gradient - full-batch gradient| / |full-batch gradient| on one batch (L2 over every
    parameter): 0 up to float rounding when accumulation is right. Leaves no gradient behind."""
    grads = []
    for k in (1, micro_batches):
        model.zero_grad(set_to_none=True)
        backward(model, batch, k)
        grads.append(torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None]))
    model.zero_grad(set_to_none=True)
    return float((grads[1] - grads[0]).norm() / grads[0].norm().clamp_min(1e-12))


def train(model: torch.nn.Module, sample_batch: Callable, r: Recipe, progress: bool = False,
          label: str = "train", after_step: Callable[[int], bool | None] | None = None) -> list[float]:
    """Train for `r.steps` steps, or until `after_step` says stop; returns the training loss at every step run.

    `after_step(step)` (counting from 1) may look at the model (a healthy run measures its score on the
    way); it must leave the model's weights and the random state alone, and returns True to stop there.
    The learning rate follows the schedule of `r.steps` steps either way."""
    opt = make_optimizer(model, r)
    losses: list[float] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        # at most two redraws a second: in a notebook each one is a message to the front end
        bar = tqdm(total=r.steps, desc=label, unit="step", leave=True, mininterval=0.5)
    model.train()
    for step in range(r.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, r)
        batch = sample_batch()
        opt.zero_grad(set_to_none=True)
        loss = backward(model, batch, r.micro_batches)
        torch.nn.utils.clip_grad_norm_(model.parameters(), r.grad_clip)
        opt.step()
        losses.append(loss.item())
        stop = False
        if after_step is not None:
            stop = bool(after_step(step + 1))
            model.train()
        if bar is not None:
            bar.update(1)
            if step % 10 == 0 or step == r.steps - 1 or stop:
                bar.set_postfix(loss=f"{losses[-1]:.3f}", refresh=False)  # shown at the next redraw
        if stop:
            break
    if bar is not None:
        if len(losses) < r.steps:
            bar.set_description(f"{label} (stopped at {len(losses)})", refresh=False)
        bar.close()
    model.eval()
    return losses
