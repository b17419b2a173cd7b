"""The training equivalences: k micro-batches against the full batch's gradient; overfit one sequence, recall it.

Both need what only the learner has: the loss function and the optimiser (`loss_fn`, `optimizer`), or a model
that computes its own loss. The overfit check trains a deep copy, so the model under test is never changed.
"""
from __future__ import annotations

import torch

from minimodel.checkup.adapters import Subject, Unsupported
from minimodel.checkup.equivalence_checks import measured
from minimodel.checkup.report import CheckupError, failed, judge, skipped
from minimodel.detectors import DETECTORS, Detector, Finding
from minimodel.seams import IGNORE_INDEX

ACCUMULATED = DETECTORS["accumulation_differs"]  # the lab's own: accumulated against full-batch gradient
MAX_STEPS, REDUCTION = 300, 0.9  # transformers' test_training_overfit: 300 steps, the loss down by 90 % or more
CANNOT_OVERFIT = Detector("cannot_overfit", MAX_STEPS, lambda m, _c: m["steps"], fires_above=True,
                          describe=f"training steps to bring the loss on one repeating sequence down by "
                                   f"{REDUCTION:.0%} (past {MAX_STEPS}: never)")
NOT_RECALLED = Detector("overfit_not_recalled", 0.0, lambda m, _c: m["share"], fires_above=True,
                        describe="share of the memorised sequence greedy generation from its first token gets wrong")


def default_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    """The optimiser transformers' overfit test uses: Adam at 1e-3 (the checkup's default for the lab's GPT)."""
    return torch.optim.Adam(model.parameters(), lr=1e-3)


ACCUMULATED_CAUSE = ("likely cause: each micro-batch's loss is its own mean, then divided by the number of "
                     "micro-batches, so a token weighs more in a micro-batch with fewer supervised tokens; divide each "
                     "micro-batch's summed loss by the whole batch's count (transformers' num_items_in_batch)")
OVERFIT_CAUSE = ("likely cause: the model cannot learn one sequence by heart: parameters left out of the optimiser, a "
                 "learning rate of 0, a graph detached from the loss, or targets that are not the next tokens")
RECALL_CAUSE = ("likely cause: what training scores differs from what generation does: targets that are the inputs "
                "themselves (not shifted), a model that reads later tokens while training, or generation reading "
                "the wrong position")


def accumulation(s: Subject) -> list[Finding]:
    """Four rows whose first tokens are ignored in different numbers (prompts of different lengths), in 2 parts."""
    T = s.seq_len
    idx, _ = s.ids(4, T)
    labels = idx.clone()  # aligned with the ids: the loss shifts them
    for row, ignored in enumerate((1, T // 2, T // 4, 3 * T // 4)):
        labels[row, :ignored] = IGNORE_INDEX  # the two micro-batches hold different supervised counts
    return [measured(ACCUMULATED, "accumulation_gap", lambda: s.adapter.accumulation_gap(idx, labels, 2),
                     ACCUMULATED_CAUSE, note="4 rows in 2 micro-batches of unequal supervised counts; the "
                     "losses added as a training loop adds them (divided by 2, or by num_items_in_batch)")]


def overfit(s: Subject) -> list[Finding]:
    """A few hundred steps at most on one repeating sequence, then greedy generation from its first token."""
    detectors = (CANNOT_OVERFIT, NOT_RECALLED)
    if s.optimizer is None:
        return [skipped(d.name, d.threshold, "pass optimizer=lambda model: <your optimiser over model.parameters()>")
                for d in detectors]
    ids = (torch.arange(1, min(20, s.vocab_size)).repeat(s.seq_len)[:s.seq_len])[None]  # (1, T): 1, 2, ..., 19, 1, ...
    try:
        learner = s.adapter.copy()
        with torch.random.fork_rng():  # dropout draws from a seeded generator, the caller's stays where it was
            torch.manual_seed(s.seed)
            reached, steps, first, last = _train(learner, s.optimizer, ids)
        wrong = _recall(learner, ids)
    except Unsupported as e:
        return [skipped(d.name, d.threshold, str(e)) for d in detectors]
    except CheckupError as e:
        return [failed(d, str(e)) for d in detectors]
    note = f"loss {first:.3g} -> {last:.3g} in {steps} steps, on a copy"
    return [judge(CANNOT_OVERFIT, {"steps": reached}, OVERFIT_CAUSE, note),
            judge(NOT_RECALLED, {"share": wrong}, RECALL_CAUSE, note=f"{ids.shape[1] - 1} tokens generated")]


def _train(learner, make_optimizer, ids: torch.Tensor) -> tuple[int, int, float, float]:
    """Train until the loss is down by REDUCTION and every next token is the teacher-forced argmax (memorised), or
    MAX_STEPS: (the step the loss got there, MAX_STEPS + 1 if never; steps trained; first loss; last loss)."""
    model = learner.module.train()
    try:
        opt = make_optimizer(model)
    except Exception as e:  # the learner's code: one line
        raise CheckupError(f"optimizer(model) failed ({type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]})"
                           ) from None
    first, reached = None, MAX_STEPS + 1
    with torch.enable_grad():
        for step in range(1, MAX_STEPS + 1):
            opt.zero_grad(set_to_none=True)
            loss, logits = learner.training_pass(ids)  # logits (1, T - 1, V) predict ids[:, 1:]
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # as transformers' overfit test does
            opt.step()
            first = loss.item() if first is None else first
            if loss.item() <= (1 - REDUCTION) * first:
                reached = min(reached, step)
                if bool((logits.argmax(dim=-1) == ids[:, 1:]).all()):  # memorised: now generation must recall it
                    return reached, step, first, loss.item()
    return reached, MAX_STEPS, first, loss.item()


@torch.no_grad()
def _recall(learner, ids: torch.Tensor) -> float:
    """Greedy generation from the first token, in eval mode: the share of the rest it gets wrong."""
    learner.module.eval()
    out = ids[:, :1]  # (1, 1)
    for _ in range(ids.shape[1] - 1):
        out = torch.cat([out, learner.next_logits(out).argmax(dim=-1, keepdim=True)], dim=1)
    return float((out[:, 1:] != ids[:, 1:]).float().mean())
