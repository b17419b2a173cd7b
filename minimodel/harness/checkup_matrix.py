"""The lab's breaks prove the checkup: each break planted in the lab's GPT or its collator trips its own checks only.

Under each break, every model check runs on the lab's GPT (`small`, dropout on so that dropout at evaluation can
show) and every batch check on a training batch of the break's recipe, as the lab's collator makes it. `MATRIX`
says which checks each break must trip and which it may also trip (a consequence, with the reason); `OUTSIDE` says
why no model or batch check can see the others. tests/test_checkup_matrix.py holds both against what runs, and
`just catalogue` writes the table on docs/checkup.md from them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from minimodel import checkup, seams
from minimodel.catalogue import Break
from minimodel.checkup.model_checks import CHECKS
from minimodel.harness.runner import run_data
from minimodel.model import GPT, preset
from minimodel.recipes import RECIPES

BATCH_FINDINGS = ("special_supervised", "prompt_supervised", "ignored_answer_tokens", "eos_never_supervised",
                  "labels_not_shifted", "labels_double_shifted")
COLUMNS = (*CHECKS, *BATCH_FINDINGS)  # the model checks by name, then checkup.batch's findings


@dataclass(frozen=True)
class Row:
    tag: str
    trips: tuple[str, ...]  # the columns that must fire under the break
    may_trip: tuple[str, ...] = ()  # consequences that may fire too
    because: str = ""  # why they may


LEAKS = ("leak", "prefix", "cache")  # a cache equals a full forward only when no token sees later ones
EVERY_MASK = (*LEAKS, "left_padding", "packing")  # the mistake is in how every mask is applied, not in one mask
COPIES = ("a model that sees later tokens while it trains may learn to copy them instead of the sequence: then "
          "greedy recall, where no later token exists yet, fails")

MATRIX = (
    Row("broken-no-mask", LEAKS, ("overfit",), COPIES),
    Row("broken-mask-zero-fill", EVERY_MASK, ("overfit",), COPIES),
    Row("broken-mask-off-by-one", LEAKS, ("overfit",), COPIES),
    Row("broken-softmax-wrong-axis", LEAKS, ("overfit",), COPIES),
    Row("broken-heads-no-transpose", EVERY_MASK, ("overfit",), COPIES),
    Row("broken-targets-not-shifted", ("overfit", "labels_not_shifted"), ("special_supervised",),
        "each label sits one position early, so the padding after a row's EOS reads as a target"),
    Row("broken-truncated-mask", ("ignored_answer_tokens",)),
    Row("broken-pad-unmasked", ("special_supervised",)),
    Row("broken-no-target-mask", ("prompt_supervised",)),
    Row("broken-pad-is-eos", ("eos_never_supervised",)),
    Row("broken-left-pad-positions", ("left_padding",)),
    Row("broken-cache-off-by-one", ("cache",)),
    Row("broken-dropout-at-eval", ("determinism",)),
    Row("broken-accumulation-per-micro-batch", ("accumulation",)),
    Row("broken-labels-shifted-twice", ("labels_double_shifted",)),
    Row("broken-packing-without-boundaries", ("packing",)),
)
EVALUATION = "in the evaluation code, which no model or batch check calls"
OUTSIDE = {
    "broken-memorise-sentence": "three targets of a text trained on every token leave the loss: a batch cannot tell "
                                "them from a prompt the learner meant to skip",
    "broken-no-scale": "scores too large train slower, but every equivalence still holds and one sequence is still "
                       "learned in a few dozen steps",
    "broken-no-positions": "without positions the model is still causal and consistent, and a sequence of distinct "
                           "tokens is learned without them",
    "broken-no-separator": "a prompt format, consistent with itself: the lab's answer_start_ambiguous shows it",
    "broken-short-generation": f"{EVALUATION} (checkup.generation's answers_over_budget compares a budget with the "
                               "answers)",
    "broken-tf-eval": f"{EVALUATION} (the accuracy a report leads with)",
    "broken-wrong-position": f"{EVALUATION} (the greedy pick reads the wrong position)",
    "broken-padding-mask-nan": "torch's fused attention gives a query with no key zeros, not NaN, so padded rows keep "
                               "their logits; the NaN, and left_padding with it, shows on the manual attention path "
                               "(attention weights recorded)",
    "broken-double-bos": f"{EVALUATION} (the serving prompt)",
}


def tripped(brk: Break) -> set[str]:
    """The columns that fire with the break's seams installed: model checks by name, batch findings by name."""
    recipe = RECIPES[brk.recipe]
    with seams.replaced(brk.replaces, brk.tag):
        task, _, _, probe = run_data(recipe, seed=0)
        tok = task.tokenizer
        batch = _as_collated(probe[0], aligned=recipe.labels == "aligned", answers_only=recipe.loss_on == "answer")
        audit = checkup.batch(batch, eos_id=tok.eos_id, pad_id=seams.pad_token_id(tok.pad_id, tok.eos_id),
                              shifted=recipe.labels != "aligned", special_ids=[tok.bos_id, tok.pause_id])
        torch.manual_seed(0)
        model = GPT(preset("small", vocab_size=tok.vocab_size, dropout=0.1))
        report = checkup.model(model, tok.vocab_size, seq_len=model.cfg.block_size)
    fired = {c.name for c in CHECKS.values() if any(report[d.name].fired for d in c.detectors)}
    return fired | {f.name for f in audit.fired}


def _as_collated(b, aligned: bool, answers_only: bool) -> dict[str, torch.Tensor]:
    """A lab batch as a collator emits it: input_ids and labels (aligned, or already shifted), a 2-D attention mask
    when it has one, and, when only answers are trained on, which input tokens are answer tokens."""
    batch = {"input_ids": b.x, "labels": b.labels if aligned else b.y}
    if b.attention_mask is not None and b.attention_mask.dim() == 2:
        batch["attention_mask"] = b.attention_mask
    if answers_only:  # input token t is an answer token when it is position t - 1's target
        batch["completion_mask"] = F.pad(b.is_answer[:, :-1], (1, 0))
    return batch


def markdown(catalogue: list[Break]) -> str:
    """The matrix as the checkup page shows it: ● must trip, ○ may also trip (why, below it), then the rest."""
    rows = {r.tag: r for r in MATRIX}
    lines = ["| break | " + " | ".join(f"`{c}`" for c in CHECKS) + " | checkup.batch |",
             "|---|" + "---|" * (len(CHECKS) + 1)]
    for b in (b for b in catalogue if b.tag in rows):
        r = rows[b.tag]
        marks = ["●" if c in r.trips else "○" if c in r.may_trip else "" for c in CHECKS]
        found = [f"`{f}`" + ("" if f in r.trips else " ○") for f in BATCH_FINDINGS if f in r.trips + r.may_trip]
        lines.append(f"| `{b.tag}` | " + " | ".join(marks) + f" | {', '.join(found)} |")
    reasons = {r.because: [x.tag for x in MATRIX if x.because == r.because] for r in MATRIX if r.because}
    lines += ["", "○ may also fire:", ""] + [f"- {', '.join(f'`{t}`' for t in tags)}: {why}."
                                             for why, tags in reasons.items()]
    lines += ["", "Outside the matrix, and why:", ""]
    return "\n".join(lines + [f"- `{b.tag}`: {OUTSIDE[b.tag]}." for b in catalogue if b.tag in OUTSIDE])
