"""Break: the collator shifts the labels, and the model's loss shifts them again."""
import torch
import torch.nn.functional as F

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics
from minimodel.seams import IGNORE_INDEX


def collator_labels(inputs: torch.Tensor, supervised: torch.Tensor) -> torch.Tensor:
    """(B, T) input ids and (B, T) bool (token t is something to learn) -> (B, T) labels."""
    shifted = F.pad(inputs[:, 1:], (0, 1), value=IGNORE_INDEX)  # BUG: labels = input_ids[1:], shifted already
    return shifted.masked_fill(~supervised, IGNORE_INDEX)


def _learns(m: Metrics, _f: Findings) -> str:
    return "the token after next" if m["labels_two_ahead_share"] > 0.5 else "the next token"


BREAK = Break(
    title="The loss falls like a healthy run's, yet the model cannot say the next token",
    phase="training loop",
    replaces={"collator_labels": collator_labels},
    recipe="rows-aligned",
    questions=(
        Question("learns", "What will each position be trained to predict?",
                 options=("the next token", "the token after next"), observe=_learns, default="the next token"),
        Question("tf_exact", "Teacher-forced exact match on held-out sums, in percent?", tolerance=15,
                 observe=lambda m, f: 100 * m["tf_exact_match"], default=95),
        questions.ar_exact_match(tolerance=10, default=90),
        questions.explain("In a sentence or two: how can a loss fall while the model learns the wrong thing?"),
    ),
    symptoms=(Symptom("labels_two_ahead"), Symptom("true_next_loss_high"), Symptom("ar_lags_control")),
    checks=(Symptom("leak_test"),),
    hints=(
        "The loss falls, yet greedy answers and teacher-forced exact match are wrong. Print a batch's inputs "
        "beside the targets the loss actually uses, position by position.",
        "Real stacks agree on one convention: the collator gives labels aligned with the inputs, and the "
        "model's loss shifts them by one. What happens when both sides shift?",
        "Each position's target is two tokens ahead of its input: the model learns to skip a token, and the loss "
        "over that still falls (the operands' digits are random either way).",
        "The `collator_labels` seam returns `input_ids[1:]`. In this convention the labels are the inputs "
        "themselves; the model's loss does the shift.",
    ),
    cause="The collator shifts the labels by one and the model's loss shifts them again, so every position is "
          "trained on the token after next.",
    why="The loss is a fine-looking curve whatever the targets are; only looking at which token a position is "
        "scored on, or at the loss against the true next token, shows the double shift. It is the opposite "
        "mistake to broken-targets-not-shifted, and its detectors tell them apart.",
    seen_in="transformers PR #44642 (labels shifted in the data and again in the loss) and the model fixes "
            "after it, #46898, #46895, #47395.",
)
