"""Break: the causal mask is off by one: each position also sees the very next token."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def causal_mask(T: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(T, T) bool, True where query i may attend to key j."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril(1)  # BUG: diagonal=1 lets i see j = i + 1


def _floor_position(m: Metrics, _f: Findings) -> str:
    ratio = m["tf"]["loss"] / m["entropy_floor"]
    return "far below it (under half)" if ratio < 0.5 else "near it" if ratio < 1.3 else "well above it"


BREAK = Break(
    title="A bright band just above the diagonal, and a loss far below the entropy floor",
    phase="visible leaks",
    replaces={"causal_mask": causal_mask},
    recipe="rows-all",
    questions=(
        Question("loss_vs_floor", "After training, where is the held-out loss against the data's entropy floor?",
                 options=("far below it (under half)", "near it", "well above it"),
                 observe=_floor_position, default="near it"),
        Question("future_mass", "What percentage of the attention weight lands on later tokens (above the "
                 "diagonal), averaged over queries?", tolerance=15,
                 observe=lambda m, f: 100 * m["future_attention"], default=0),
        questions.ar_exact_match(tolerance=15, default=50),
        questions.explain("In a sentence or two: which key does each query read that it must not, and why "
                          "is that one enough?"),
    ),
    symptoms=(Symptom("loss_below_floor"), Symptom("future_attention"), Symptom("leak_test")),
    checks=(Symptom("far_future_attention"),),  # the band is one key wide: nothing two or more keys ahead
    hints=(
        "The loss is far below what random operands allow. Some position can see what it has to predict.",
        "The leak test fires before training: the mask lets information flow backwards. How far back?",
        "On the heatmap, the weight above the diagonal is not spread out: it sits in one thin band, right "
        "next to the diagonal. Which key is that for query i?",
        "The `causal_mask` seam builds `tril(1)`: the diagonal argument shifts the triangle up by one, so "
        "query i sees key i + 1, the token it must predict. `tril()` (diagonal 0) is the causal mask.",
    ),
    cause="The causal mask uses tril(1) instead of tril(0), so every position attends to the next "
          "token, which is exactly its target.",
    why="One character of difference, and the model only needs that single extra key to copy its target. "
        "The band one cell above the diagonal is easy to miss on a heatmap of a long sequence, but the "
        "entropy floor and the leak test catch it at once.",
    seen_in="Masks built by hand, where the `diagonal` argument of `tril`/`triu` gets mixed up when "
            "switching between an 'allowed' mask (`tril(diagonal=0)`) and a 'forbidden' one "
            "(`triu(diagonal=1)`); the same slip in masks for KV-cached or chunked attention.",
)
