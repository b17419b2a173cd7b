"""Break: attention gets no causal mask, so every position can read the token it must predict."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def causal_mask(T: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(T, T) bool, True where query i may attend to key j."""
    return torch.ones(T, T, dtype=torch.bool, device=device)  # BUG: no .tril(), the future is visible


def _floor_position(m: Metrics, _f: Findings) -> str:
    ratio = m["tf"]["loss"] / m["entropy_floor"]
    return "far below it (under half)" if ratio < 0.5 else "near it" if ratio < 1.3 else "well above it"


BREAK = Break(
    title="The loss beats the entropy floor, yet generation produces nonsense",
    phase="visible leaks",
    replaces={"causal_mask": causal_mask},
    recipe="rows-all",
    questions=(
        Question("loss_vs_floor", "After training, where is the held-out loss against the data's entropy "
                 "floor (the lowest loss any model that only reads the past can reach)?",
                 options=("far below it (under half)", "near it", "well above it"),
                 observe=_floor_position, default="near it"),
        questions.detector_fired("future_attention", "Does any attention weight land on later tokens (above the "
                                 "diagonal)?", "future_attention", "yes, a visible share", "no, none",
                                 default="no, none"),
        questions.ar_exact_match(tolerance=15, default=50),
        questions.explain("In a sentence or two: what will happen, and why?"),
    ),
    symptoms=(Symptom("loss_below_floor"), Symptom("future_attention"), Symptom("far_future_attention"),
              Symptom("leak_test"), Symptom("tf_ar_gap")),
    hints=(
        "The loss went below what the data allows: the operands are random digits. What would let a "
        "model predict a random digit before it has been generated?",
        "Compare teacher-forced exact match with greedy generation. What does the model have during "
        "teacher forcing that it does not have while generating?",
        "Open the attention heatmaps: where does each query row (down) put its weight among the keys "
        "(across)? A causal model leaves everything above the diagonal empty.",
        "Every query can read the keys to its right. The seam that decides what a query may look at "
        "is `causal_mask`: compare it with a lower-triangular mask.",
    ),
    cause="The causal mask allows every key, so each position attends to the very token it is "
          "trained to predict and copies it.",
    why="Teacher-forced metrics, computed with the whole sequence in view, look perfect, while "
        "generation, where the future does not exist yet, fails. The entropy floor exposes the leak "
        "from the loss curve alone, and the leak test exposes it before any training. (A source report "
        "says the samples collapse into one repeated token; on this lab's runs they do not reliably: "
        "almost every sum comes out wrong, but mostly as well-formed wrong answers, so the lab declares the "
        "TF-AR gap: the numbers are on its measurement page.)",
    seen_in="From-scratch attention in tutorials and forks: a `tril` buffer registered but never "
            "applied, or dropped when moving to `scaled_dot_product_attention` without "
            "`is_causal=True` or an `attn_mask`.",
)
