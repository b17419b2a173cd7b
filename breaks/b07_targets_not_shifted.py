"""Break: the targets are not shifted, so the model is trained to output the token it reads."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def next_token_targets(chunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T+1) tokens -> inputs x (B, T) and targets y (B, T)."""
    return chunk[:, :-1], chunk[:, :-1]  # BUG: y is x itself, not the token after it


def _true_next(m: Metrics, _f: Findings) -> str:
    ratio = m["tf"]["next_token"] / m["ln_vocab"]
    return "above ln V" if ratio > 1 else "between the floor and ln V" if ratio > 0.5 else "near the floor"


BREAK = Break(
    title="The training loss goes to zero, yet the model cannot predict the next token",
    phase="targets",
    replaces={"next_token_targets": next_token_targets},
    recipe="rows-all",
    questions=(
        Question("train_loss", "Final training loss, in nats (the entropy floor is about 0.97)?",
                 tolerance=0.3, observe=lambda m, f: m["train_loss"], default=1.0),
        Question("true_next", "Measured against the true next token, where is the same model's loss?",
                 options=("near the floor", "between the floor and ln V", "above ln V"),
                 observe=_true_next, default="near the floor"),
        questions.leak(default="yes"),
        questions.explain("In a sentence or two: what is the model actually trained to do?"),
    ),
    symptoms=(Symptom("loss_below_floor"), Symptom("true_next_loss_high")),
    checks=(Symptom("leak_test"),),  # nothing leaks: the model is causal, the targets are wrong
    hints=(
        "A loss near zero on random digits is impossible for a model that predicts the future. What "
        "could it be predicting instead?",
        "The leak test is quiet: attention is causal. Measure the same model's loss against the true "
        "next token: it is far worse than a uniform guess (ln V).",
        "Print one batch: x and y side by side. How are they related, and how should they be?",
        "The `next_token_targets` seam returns the inputs as the targets. The targets are the same "
        "chunk shifted by one: `chunk[:, 1:]`.",
    ),
    cause="The targets are the inputs themselves, so the model learns to copy the current token (easy, "
          "loss near zero) and never to predict the next one.",
    why="A loss under the entropy floor usually means a leak; here the leak test is quiet and the bug is "
        "in the data, not the model. Measuring the loss against the true next token, beside the loss "
        "the trainer reports, separates the two at once.",
    seen_in="Own training loops that pass `labels = input_ids` to a model that does not shift them itself "
            "(Hugging Face causal LMs shift inside `forward`, most from-scratch models do not), so the "
            "model is trained on the identity.",
)
