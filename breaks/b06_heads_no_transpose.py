"""Break: heads are split with a reshape but no transpose, so a 'head' mixes positions."""
import torch

from minimodel.catalogue import Break, Question, Symptom, questions


def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """(B, T, C) -> (B, n_head, T, head_size)."""
    B, T, C = x.shape
    return x.reshape(B, n_head, T, C // n_head)  # BUG: reshape alone; rows of one "head" span several positions


BREAK = Break(
    title="A healthy-looking attention heatmap, yet later tokens change earlier predictions",
    phase="subtle leaks",
    replaces={"split_heads": split_heads},
    recipe="rows-all",
    questions=(
        Question("future_mass", "What percentage of the attention weight lands on later positions (above the "
                 "diagonal)?", tolerance=5, observe=lambda m, f: 100 * m["future_attention"], default=0),
        questions.leak(default="no"),
        questions.ar_exact_match(tolerance=15, default=50),
        questions.explain("In a sentence or two: what does one row of a 'head' contain after this split?"),
    ),
    symptoms=(Symptom("leak_test"),),
    checks=(Symptom("future_attention"), Symptom("rows_not_normalised")),  # the heatmap looks healthy
    hints=(
        "The heatmap is causal and every row sums to one, yet the leak test fires. The mask is applied "
        "correctly, so what is each row of the heatmap really about?",
        "Print the shapes around the head split: (B, T, C) becomes (B, n_head, T, head_size). Is the "
        "T axis of the result still the position axis of the input?",
        "Take one position's vector, split it into heads, and see where its numbers land: with a plain "
        "reshape they fill the first rows of head 0, which mixes several positions into one 'row'.",
        "The `split_heads` seam reshapes (B, T, C) straight to (B, n_head, T, hs). View it as (B, T, "
        "n_head, hs) first, then `.transpose(1, 2)`.",
    ),
    cause="The heads are split by reshaping (B, T, C) directly into (B, n_head, T, head_size), so each "
          "'position' of a head holds channels from other (also later) positions and the causal mask "
          "no longer protects the real ones.",
    why="Shapes match, nothing crashes, the mask is applied and the heatmap looks perfect: every usual "
        "sanity check passes. Only the leak test, which asks the causal question directly, sees it.",
    seen_in="`x.view(B, n_head, T, hs)` without the transpose in from-scratch multi-head attention; the "
            "matching error on the way back (`y.view(B, T, C)` without `transpose(1, 2).contiguous()`).",
)
