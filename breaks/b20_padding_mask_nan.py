"""Break: the padding mask and the causal mask, combined, leave a left-padded query with no key at all."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def padding_mask(causal: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """(T, T_k) causal mask and (B, 1 or T, T_k) keys each query may see (real tokens) -> (B, 1, T, T_k)."""
    return (causal & keys)[:, None]  # BUG: a padding query left of every real token is left with no key at all


def _when(m: Metrics, _f: Findings) -> str:
    step = m.get("first_non_finite_step")
    return "never" if step is None else "at the first step" if step == 1 else "later in training"


BREAK = Break(
    title="With left-padded batches the loss is NaN from the first step",
    phase="serving",
    replaces={"padding_mask": padding_mask},
    recipe="left-padded-rows",
    questions=(
        Question("when", "When will the training loss stop being a number?",
                 options=("never", "at the first step", "later in training"), observe=_when, default="never"),
        Question("nan_steps", "How many of the training steps will have a NaN loss, in percent?", tolerance=10,
                 observe=lambda m, f: 100 * m["train_non_finite"] / m["steps"], default=0),
        questions.explain("In a sentence or two: where does the first NaN come from?"),
    ),
    symptoms=(Symptom("non_finite"),),
    hints=(
        "The loss is NaN at the very first step, before any update: the weights are fine. Which rows of the "
        "first batch are special?",
        "Left padding puts PAD first. Which keys may the query at position 0 of a padded row look at?",
        "A softmax over a row of -inf is 0/0 = NaN, and NaN in a padding position reaches every real token in "
        "the next layer through 0 × NaN.",
        "The `padding_mask` seam must leave every query at least one key: let each query look at its own "
        "position (nobody reads a padding query's output).",
    ),
    cause="Combining the causal mask with the padding mask leaves the padding queries of a left-padded row with "
          "no key at all; their softmax is NaN, and NaN spreads to every token through the next layer.",
    why="Right-padded batches never show it (a padding query there still sees the real tokens before it), so the "
        "bug waits for the first left-padded batch; the non_finite detector names the step that did it.",
    seen_in="unsloth PR #9848 (fully masked rows in a custom attention mask), transformers #47651 (NaN with "
            "left padding and SDPA), pytorch #103749 (scaled_dot_product_attention returns NaN for fully "
            "masked rows).",
)
