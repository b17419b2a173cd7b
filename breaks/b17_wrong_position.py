"""Break: generation reads the logits of the wrong position, so it does not follow the model."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def pick_next_token(logits: torch.Tensor) -> torch.Tensor:
    """(B, T, V) -> (B,): greedy choice of the next token."""
    return logits[:, -2, :].argmax(dim=-1)  # BUG: the second-to-last position predicts a token already there


def _ar_vs_tf(m: Metrics, f: Findings) -> str:
    gap = m["tf_exact_match"] - m["ar"]["exact_match"]
    return "AR clearly lower" if gap > 0.03 else "about the same" if gap > -0.03 else "AR clearly higher"


BREAK = Break(
    title="Training and teacher-forced metrics match a healthy run, yet generation is garbage",
    phase="generation",
    replaces={"pick_next_token": pick_next_token},
    recipe="rows-all",
    questions=(
        Question("ar_vs_tf", "Greedy generation (AR) exact match against teacher-forced exact match "
                 "of the same model:", options=("AR clearly lower", "about the same", "AR clearly higher"),
                 observe=_ar_vs_tf, default="about the same"),
        Question("agreement", "In what percentage of prompts will the first generated token be the "
                 "forward pass's own prediction for that position?", tolerance=15,
                 observe=lambda m, f: 100 * m["first_token_agreement"], default=100),
        questions.ar_exact_match(tolerance=5, default=10),
        questions.explain("In a sentence or two: where can the model be right and the output wrong?"),
    ),
    symptoms=(Symptom("generation_disagrees"), Symptom("tf_ar_gap", 0.04)),
    hints=(
        "The loss, the loss curve and teacher-forced exact match are the healthy run's. Only the "
        "generated answers are wrong: which code runs only during generation?",
        "Run one forward pass on a prompt and take the argmax yourself. Is it the first token the "
        "generator produced?",
        "The model's output at position t predicts the token at t + 1. Which position's prediction "
        "is the next token after the prompt?",
        "The `pick_next_token` seam reads `logits[:, -2]`, the prediction for the last token of the "
        "prompt, which is already there. The next token comes from `logits[:, -1]`.",
    ),
    cause="Generation picks the next token from the second-to-last position's logits, which predict a "
          "token the sequence already has, instead of from the last position's.",
    why="A bug outside the model leaves every training number healthy; only an end-to-end check "
        "catches it, and the cheapest one is that the generator's first token must equal a plain "
        "forward pass's argmax, whatever the model has learned.",
    seen_in="Hand-written sampling loops (`logits[:, -2]` after appending a token twice, `logits[0]` "
            "with batch-first confusion, or forgetting the shift when a KV cache returns one position).",
)
