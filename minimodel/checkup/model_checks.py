"""checkup.model: the lab's time-axis tests and the loss at init, on any causal LM, without training."""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel.checkup.forward import check_logits, eval_mode, find_blocks, find_embedding, logits_fn
from minimodel.checkup.report import CheckupError, Report, judge, skipped
from minimodel.detectors import DETECTORS, Detector, Finding
from minimodel.probes import future_gradient_share

LEAK = DETECTORS["leak_test"]  # the lab's own: gradient share from earlier logits to later inputs
PREFIX = Detector("prefix_moves", 1e-4, lambda m, _c: m["change"], fires_above=True,
                  describe="largest change of earlier positions' logits when only later tokens change "
                           "(relative to the largest logit)")
BLOCK = Detector("first_leaky_block", 1e-4, lambda m, _c: m["change"], fires_above=True,
                 describe="change of a block's output at earlier positions when only later tokens change (relative)")
INIT = DETECTORS["init_loss_off"]  # the lab's own: |loss at init - ln V| / ln V

LEAK_CAUSE = ("likely cause: attention sees later positions (no causal mask, a custom attention mask of ones, "
              "a mask shifted by one, softmax over the wrong axis, or heads split without a transpose)")
INIT_CAUSE = ("likely cause: the untrained model is confidently wrong (output layer initialised too large, "
              "logits scaled up, a missing final norm), or the model is not untrained")


def model(model, vocab_size: int, seq_len: int = 32, batch_size: int = 2, embedding: nn.Module | None = None,
          blocks: nn.ModuleList | None = None, trained: bool = False, seed: int = 0) -> Report:
    """Check a causal LM (an nn.Module or any callable ids (B, T) -> logits (B, T, V)) on random ids.

    The leak test needs the module whose output is the per-position input (found for the lab's GPT,
    Hugging Face models and models with an nn.Embedding of `vocab_size` rows; else pass `embedding=`);
    the prefix test needs no gradient. `trained=True` skips the loss-at-init check.
    """
    if vocab_size < 2 or seq_len < 2 or batch_size < 1:
        raise CheckupError(f"need vocab_size >= 2, seq_len >= 2 and batch_size >= 1, "
                           f"got {vocab_size}, {seq_len} and {batch_size}")
    forward = logits_fn(model)
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randint(vocab_size, (batch_size, seq_len), generator=gen)  # (B, T)
    stack = ("blocks", blocks) if blocks is not None else find_blocks(model)
    embed = embedding if embedding is not None else find_embedding(model, vocab_size)
    with eval_mode(model):  # no dropout: a leak must not hide in noise
        logits, prefix, block = _prefix_run(forward, stack, idx, vocab_size, gen)
        findings = [_leak(forward, embed, idx), prefix, block, _init_loss(logits, idx, trained)]
    notes = [f"{type(model).__name__} on random ids (B, T) = {tuple(idx.shape)}, V = {vocab_size}, seed {seed}",
             f"embedding: {_name(model, embed)}; blocks: "
             + (f"{stack[0]} ({len(stack[1])})" if stack else "none found")]
    return Report("checkup.model", findings, notes)


def _prefix_run(forward, stack, idx: torch.Tensor, vocab_size: int, gen: torch.Generator):
    """One forward on the ids and on a copy whose later half differs: did anything before the cut move?"""
    B, T = idx.shape
    cut = T // 2  # positions < cut are the prefix; every token from cut on is replaced
    later = idx.clone()
    later[:, cut:] = (idx[:, cut:] + torch.randint(1, vocab_size, (B, T - cut), generator=gen)) % vocab_size
    both = torch.cat([idx, later])  # (2B, T): one call, so both halves go through the same kernels
    hidden: dict[int, torch.Tensor] = {}
    def observe(i: int):
        def hook(_module, _inputs, out) -> None:  # returns nothing: a hook that returns a value replaces the output
            hidden.setdefault(i, _first_tensor(out))
        return hook

    handles = [b.register_forward_hook(observe(i)) for i, b in enumerate(stack[1])] if stack else []
    try:
        with torch.no_grad():
            logits = forward(both)  # (2B, T, V)
    finally:
        for h in handles:
            h.remove()
    check_logits(logits, 2 * B, T, vocab_size)
    moved = _change(logits[:B, :cut], logits[B:, :cut])
    prefix = judge(PREFIX, {"change": moved}, LEAK_CAUSE,
                   note=f"tokens {cut}..{T - 1} replaced, positions 0..{cut - 1} compared")
    return logits[:B], prefix, _first_block(stack, hidden, B, cut, moved)


def _first_block(stack, hidden: dict[int, torch.Tensor], B: int, cut: int, moved: float) -> Finding:
    """The first block whose output at earlier positions moves: where to look for the leak."""
    if not stack:
        return skipped(BLOCK.name, BLOCK.threshold, "no nn.ModuleList of blocks found; pass blocks=model.layers")
    name, blocks = stack
    changes = [_change(h[:B, :cut], h[B:, :cut]) for i, h in sorted(hidden.items()) if h is not None]
    if not changes:
        return skipped(BLOCK.name, BLOCK.threshold, f"the blocks in {name} gave no tensor output")
    first = next((i for i, c in enumerate(changes) if c > BLOCK.threshold), None)
    if first is None:
        note = f"no block of {name} ({len(blocks)}) moves" + ("; the change enters after the blocks (final norm "
                                                               "or head)" if moved > PREFIX.threshold else "")
        return judge(BLOCK, {"change": max(changes)}, note=note)
    return judge(BLOCK, {"change": changes[first]},
                 cause=f"the prefix first moves at the output of {name}.{first} (block {first + 1} of "
                       f"{len(blocks)}): look at that block's attention")


def _leak(forward, embed: nn.Module | None, idx: torch.Tensor) -> Finding:
    """The lab's leak test: does any gradient flow from earlier logits to later inputs?"""
    if embed is None:
        return skipped(LEAK.name, LEAK.threshold, "no embedding module found; pass embedding=<the token "
                       "embedding> (prefix_moves tests the same without gradients)")
    try:
        share = future_gradient_share(forward, embed, idx)
    except (RuntimeError, KeyError, AttributeError) as e:  # inference-only, compiled, or the module never ran
        why = (str(e).splitlines() or [type(e).__name__])[0][:120]
        return skipped(LEAK.name, LEAK.threshold, f"no gradient through this model ({why}); "
                       "prefix_moves tests the same without gradients")
    return judge(LEAK, {"leak": share}, LEAK_CAUSE, note="exactly 0 for a causal model, trained or not")


def _init_loss(logits: torch.Tensor, idx: torch.Tensor, trained: bool) -> Finding:
    """Cross-entropy on random ids against ln V: an untrained model should be close to guessing."""
    if trained:
        return skipped(INIT.name, INIT.threshold, "the model is trained (trained=True): loss at init against ln V "
                       "means something only before training")
    V = logits.shape[-1]
    loss = float(F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1)))  # next-token loss
    return judge(INIT, {"loss_init": loss, "ln_vocab": math.log(V)}, INIT_CAUSE,
                 note=f"loss {loss:.3f} vs ln V = {math.log(V):.3f}; meaningful only on an untrained model "
                      "(pass trained=True to skip)")


def _change(a: torch.Tensor, b: torch.Tensor) -> float:
    """Largest |a - b| relative to the largest |a|: 0 when nothing moved."""
    return float((a - b).abs().max() / a.abs().max().clamp_min(1e-12))


def _first_tensor(out):
    """A block's output: a tensor, or the first element of the tuple many blocks return."""
    if isinstance(out, (tuple, list)) and out:
        out = out[0]
    return out.detach() if isinstance(out, torch.Tensor) else None


def _name(model, module: nn.Module | None) -> str:
    if module is None:
        return "none found"
    found = next((n for n, m in model.named_modules() if m is module), None) if isinstance(model, nn.Module) else None
    return found or type(module).__name__
