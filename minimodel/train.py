"""The training loop: AdamW, linear warm-up then cosine decay, gradient clipping, a progress bar."""
from __future__ import annotations

import math
from collections.abc import Callable

import torch

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


def train(model: torch.nn.Module, sample_batch: Callable, r: Recipe, progress: bool = False,
          label: str = "train", after_step: Callable[[int], None] | None = None) -> list[float]:
    """Train for `r.steps` steps; returns the training loss at every step.

    `after_step(step)` (counting from 1) may look at the model (calibration measures it on the
    way); it must leave the model's weights and the random state alone."""
    opt = make_optimizer(model, r)
    losses: list[float] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=r.steps, desc=label, unit="step", leave=True)
    model.train()
    for step in range(r.steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, r)
        batch = sample_batch()
        _, loss = model(batch.x, batch.y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r.grad_clip)
        opt.step()
        losses.append(loss.item())
        if after_step is not None:
            after_step(step + 1)
            model.train()
        if bar is not None:
            bar.update(1)
            if step % 10 == 0 or step == r.steps - 1:
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
    if bar is not None:
        bar.close()
    model.eval()
    return losses
