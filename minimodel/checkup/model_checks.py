"""checkup.model: every model check on any causal LM, on random ids, without training data, by name.

The time-axis tests (the gradient leak test, the prefix test and the first leaky block), the loss at init, the
equivalences real test suites assert (equivalence_checks.py) and the two that need the learner's loss and optimiser
(training_checks.py). An adapter (adapters.py) calls each model the way its forward takes what a check needs.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel.checkup import equivalence_checks as equivalences, training_checks as training
from minimodel.checkup.adapters import LabAdapter, Subject, adapt
from minimodel.checkup.forward import check_logits, eval_mode, find_blocks, find_embedding
from minimodel.checkup.report import CheckupError, Report, judge, skipped
from minimodel.detectors import DETECTORS, Detector, Finding
from minimodel.metrics import relative_change
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
NOISY = ("two evaluations of the same ids disagree (evaluations_disagree fired): comparing two computations means "
         "nothing until evaluation is deterministic")


@dataclass(frozen=True)
class Check:
    name: str  # what `checks=`, the CLI's --checks and the pytest door call it
    run: Callable[[Subject], list[Finding]]
    detectors: tuple[Detector, ...]  # the findings it reports
    compares: bool  # it compares two computations: skipped while two evaluations of the same ids disagree
    proves: str  # one line: what a quiet result means


def model(model, vocab_size: int, seq_len: int = 32, batch_size: int = 2, embedding: nn.Module | None = None,
          blocks: nn.ModuleList | None = None, trained: bool = False, seed: int = 0,
          checks: Sequence[str] | str | None = None, loss_fn: Callable | None = None,
          optimizer: Callable[[nn.Module], torch.optim.Optimizer] | None = None) -> Report:
    """Run the model checks (all, or the named `checks`) on a causal LM: an nn.Module or any callable ids (B, T)
    -> logits (B, T, V). The model is put in eval mode and given back in its own mode, its weights untouched.

    The leak test needs the module whose output is the per-position input (found for the lab's GPT, Hugging Face
    models and models with an nn.Embedding of `vocab_size` rows; else pass `embedding=`); `trained=True` skips the
    loss-at-init check. `loss_fn(logits, labels)` (labels aligned with the ids, shifted by the loss; it may take
    `num_items_in_batch`) and `optimizer(model)` are the learner's own, for the accumulation and overfit checks.
    """
    names = check_names(checks)
    if vocab_size < 2 or seq_len < 2 or batch_size < 1:
        raise CheckupError(f"need vocab_size >= 2, seq_len >= 2 and batch_size >= 1, "
                           f"got {vocab_size}, {seq_len} and {batch_size}")
    adapter = adapt(model, loss_fn)
    if optimizer is None and isinstance(adapter, LabAdapter):
        optimizer = training.default_optimizer
    stack = ("blocks", blocks) if blocks is not None else find_blocks(model)
    embed = embedding if embedding is not None else find_embedding(model, vocab_size)
    subject = Subject(adapter, vocab_size, seq_len, batch_size, seed, embed, stack, trained, optimizer)
    with eval_mode(model):  # no dropout: a leak must not hide in noise
        idx, _ = subject.ids()
        check_logits(adapter.logits(idx), batch_size, seq_len, vocab_size)  # a misfit fails here, in one line
        findings = run(subject, names)
    notes = [f"{type(model).__name__} on random ids (B, T) = {tuple(idx.shape)}, V = {vocab_size}, seed {seed}",
             f"embedding: {_name(model, embed)}; blocks: "
             + (f"{stack[0]} ({len(stack[1])})" if stack else "none found"),
             f"called through {adapter.kind}; checks: {', '.join(names)}"]
    return Report("checkup.model", findings, notes)


def run(subject: Subject, names: list[str]) -> list[Finding]:
    """The named checks in order; determinism first when any check compares, since noise would fire them all."""
    repeat = CHECKS["determinism"].run(subject) if "determinism" in names or any(
        CHECKS[n].compares for n in names) else []
    noisy = any(f.fired for f in repeat)
    findings: list[Finding] = []
    for name in names:
        check = CHECKS[name]
        if name == "determinism":
            findings += repeat
        elif check.compares and noisy:
            findings += [skipped(d.name, d.threshold, NOISY) for d in check.detectors]
        else:
            findings += check.run(subject)
    return findings


def check_names(checks: Sequence[str] | str | None) -> list[str]:
    """The named checks in the registry's order (all of them for None); an unknown name is a one-line error."""
    if checks is None:
        return list(CHECKS)
    asked = [checks] if isinstance(checks, str) else list(checks)
    unknown = [n for n in asked if n not in CHECKS]
    if unknown or not asked:
        raise CheckupError(f"unknown check(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                           f"checks are: {', '.join(CHECKS)}")
    return [n for n in CHECKS if n in asked]


def _leak_check(s: Subject) -> list[Finding]:
    idx, _ = s.ids()
    return [_leak(s.adapter.logits, s.embedding, idx)]


def _prefix_check(s: Subject) -> list[Finding]:
    idx, gen = s.ids()
    return list(_prefix_run(s.adapter.logits, s.blocks, idx, s.vocab_size, gen))


def _init_check(s: Subject) -> list[Finding]:
    idx, _ = s.ids()
    with torch.no_grad():
        return [_init_loss(s.adapter.logits(idx), idx, s.trained)]


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
    moved = relative_change(logits[:B, :cut], logits[B:, :cut])
    prefix = judge(PREFIX, {"change": moved}, LEAK_CAUSE,
                   note=f"tokens {cut}..{T - 1} replaced, positions 0..{cut - 1} compared")
    return prefix, _first_block(stack, hidden, B, cut, moved)


def _first_block(stack, hidden: dict[int, torch.Tensor], B: int, cut: int, moved: float) -> Finding:
    """The first block whose output at earlier positions moves: where to look for the leak."""
    if not stack:
        return skipped(BLOCK.name, BLOCK.threshold, "no nn.ModuleList of blocks found; pass blocks=model.layers")
    name, blocks = stack
    changes = [relative_change(h[:B, :cut], h[B:, :cut]) for i, h in sorted(hidden.items()) if h is not None]
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


CHECKS: dict[str, Check] = {c.name: c for c in [
    Check("leak", _leak_check, (LEAK,), False, "no gradient flows from earlier positions' logits to later inputs"),
    Check("prefix", _prefix_check, (PREFIX, BLOCK), True, "earlier logits, and each block's output, stay put when "
          "only later tokens change"),
    Check("init_loss", _init_check, (INIT,), False, "an untrained model's loss is near ln V"),
    Check("left_padding", equivalences.left_padding, (equivalences.PADDED,), True, "left-padded prompts (attention "
          "mask, positions over real tokens) give the logits they give alone"),
    Check("batching", equivalences.batching, (equivalences.BATCHED,), True, "each row of a batch gives the logits "
          "it gives alone"),
    Check("cache", equivalences.cache, (equivalences.CACHED,), True, "continuing from a KV cache gives a full "
          "forward's logits"),
    Check("packing", equivalences.packing, (equivalences.PACKED,), True, "examples packed in one row give the logits "
          "each gives alone"),
    Check("determinism", equivalences.determinism, (equivalences.REPEATED,), False, "two evaluations agree"),
    Check("accumulation", training.accumulation, (training.ACCUMULATED,), True, "k micro-batches give the full "
          "batch's gradient"),
    Check("overfit", training.overfit, (training.CANNOT_OVERFIT, training.NOT_RECALLED), True, "a few hundred steps "
          "on one sequence drive the loss down by 90 % and greedy generation recalls it"),
]}
