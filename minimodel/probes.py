"""Probe points and hooks: watch attention weights or the embedding without touching the model."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn as nn


class ProbePoint(nn.Identity):
    """A named spot in the forward pass (TransformerLens' HookPoint): identity unless hooked."""

    @property
    def watched(self) -> bool:
        return bool(self._forward_hooks)


def probe_points(model: nn.Module, suffix: str) -> list[tuple[str, ProbePoint]]:
    return [(n, m) for n, m in model.named_modules() if isinstance(m, ProbePoint) and n.endswith(suffix)]


@contextmanager
def record_attention(model: nn.Module) -> Iterator[list[torch.Tensor]]:
    """Collect each layer's attention weights (B, nh, T, T), in layer order, while inside."""
    weights: list[torch.Tensor] = []
    handles = [p.register_forward_hook(lambda _m, _inp, out: weights.append(out.detach()))
               for _, p in probe_points(model, "hook_pattern")]
    try:
        yield weights
    finally:
        for h in handles:
            h.remove()


def future_attention_mass(weights: list[torch.Tensor], ahead: int = 1) -> float:
    """Mean share of each query's attention that lands on keys at least `ahead` positions later
    (1: anywhere above the diagonal; 2: beyond the very next token)."""
    per_layer = []
    for w in weights:  # (B, nh, T, T)
        T = w.shape[-1]
        upper = torch.ones(T, T, dtype=torch.bool).triu(ahead)
        per_layer.append(w.masked_fill(~upper, 0).sum(-1).mean())  # sum over keys, mean over queries
    return float(torch.stack(per_layer).mean())


def leak_gradient(model: nn.Module, idx: torch.Tensor) -> float:
    """The leak test on the lab's GPT: `future_gradient_share` at its `hook_embed` probe point."""
    (_, embed), = probe_points(model, "hook_embed")
    return future_gradient_share(lambda i: model(i)[0], embed, idx)


def future_gradient_share(logits_of: Callable[[torch.Tensor], torch.Tensor], embed: nn.Module,
                          idx: torch.Tensor) -> float:
    """Share of gradient that flows from earlier positions' logits back to later inputs.

    `logits_of` maps ids (B, T) to logits (B, T, V); `embed` is the module whose output (B, T, C)
    is the model's per-position input. For each cut t, backpropagate the logits at positions <= t
    and measure the gradient that reaches the input at positions > t. A causal model gives exactly
    zero, trained or not.
    """
    captured = {}

    def as_leaf(_m, _inp, out):
        captured["x"] = out.detach().requires_grad_()  # a leaf: it gets a gradient even if the weights are frozen
        return captured["x"]

    handle = embed.register_forward_hook(as_leaf)
    try:
        with torch.enable_grad():
            logits = logits_of(idx)  # (B, T, V)
    finally:
        handle.remove()
    x, T = captured["x"], idx.shape[1]
    leaked = total = 0.0
    for t in range(T - 1):
        # autograd.grad, not backward(): only x gets a gradient, the model's .grad fields stay untouched
        g, = torch.autograd.grad(logits[:, : t + 1].pow(2).sum(), x, retain_graph=True, allow_unused=True)
        if g is None:
            continue  # these logits do not depend on the input at all
        g = g.abs().sum(dim=(0, 2))  # (T,) gradient reaching each input position
        leaked += float(g[t + 1:].sum())
        total += float(g.sum())
    return leaked / total if total else 0.0
