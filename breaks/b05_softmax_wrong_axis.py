"""Break: the attention softmax normalises over the queries (dim=-2) instead of over the keys."""
import torch
import torch.nn.functional as F

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def masked_softmax(att: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention weights: forbidden scores become -inf, then softmax."""
    att = att.masked_fill(~mask, float("-inf"))  # (B, nh, T, T)
    return F.softmax(att, dim=-2)  # BUG: normalises each key's column over the queries, not each row


def _rows(m: Metrics, _f: Findings) -> str:
    return "no" if m["attention_row_error"] > 0.01 else "yes"


BREAK = Break(
    title="The heatmap looks perfectly causal, yet later tokens change earlier predictions",
    phase="subtle leaks",
    replaces={"masked_softmax": masked_softmax},
    recipe="rows-all",
    questions=(
        Question("future_mass", "What percentage of the attention weight lands on later tokens (above the "
                 "diagonal)?", tolerance=5, observe=lambda m, f: 100 * m["future_attention"], default=0),
        Question("rows", "Does each query's row of attention weights sum to one?",
                 options=("yes", "no"), observe=_rows, default="yes"),
        questions.leak(default="no"),
        questions.explain("In a sentence or two: how can a later token influence an earlier position "
                          "when every weight above the diagonal is zero?"),
    ),
    symptoms=(Symptom("leak_test"), Symptom("rows_not_normalised")),
    checks=(Symptom("future_attention"),),  # the upper triangle stays exactly empty: it looks causal
    hints=(
        "The heatmap is clean above the diagonal, yet the leak test fires. A weight can depend on "
        "later tokens without sitting above the diagonal.",
        "Sum each query's row of attention weights. What should every row sum to, and what do you get?",
        "Sum each column instead. A softmax makes whatever axis it runs over sum to one: which axis is it?",
        "The `masked_softmax` seam calls `softmax(dim=-2)`: each key's column is normalised over the "
        "queries, and that normaliser includes later queries. Normalise over the keys: `dim=-1`.",
    ),
    cause="The softmax runs over the query axis, so each weight is divided by a sum over later queries: "
          "later tokens leak into earlier outputs although the upper triangle is exactly zero.",
    why="The obvious check (is the upper triangle empty?) passes, so the heatmap looks textbook-causal. "
        "Only a check of the invariant itself (rows sum to one) or the leak test, which measures the "
        "dependency directly, exposes it.",
    seen_in="From-scratch attention with `softmax(dim=1)` or `dim=-2` on (B, T, T) scores, or a transposed "
            "score matrix (`k @ q.T`); a frequent slip when moving between (T, T) and (B, nh, T, T) layouts.",
)
