"""Break: the masked softmax fills forbidden scores with 0 instead of -inf, so the future keeps weight."""
import torch
import torch.nn.functional as F

from minimodel.catalogue import Break, Question, Symptom, questions


def masked_softmax(att: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention weights: forbidden scores are filled, then softmax over the keys (last axis)."""
    att = att.masked_fill(~mask, 0.0)  # BUG: 0 is an ordinary score (exp(0) = 1), not minus infinity
    return F.softmax(att, dim=-1)  # (B, nh, T, T)


BREAK = Break(
    title="The loss beats a healthy run's, and the attention heatmap is not empty above the diagonal",
    phase="visible leaks",
    replaces={"masked_softmax": masked_softmax},
    recipe="rows-all",
    questions=(
        questions.detector_fired("vs_control", "Compared with a healthy run of the same recipe and seed, will the "
                                 "held-out loss be lower, or about the same or higher?", "loss_reads_lower",
                                 "lower", "about the same or higher", default="about the same or higher"),
        Question("future_mass", "What percentage of the attention weight lands on later tokens (above the "
                 "diagonal), averaged over queries?", tolerance=15,
                 observe=lambda m, f: 100 * m["future_attention"], default=0),
        questions.explain("In a sentence or two: what does a masked score of 0 mean to a softmax?"),
    ),
    symptoms=(Symptom("future_attention"), Symptom("leak_test"), Symptom("loss_reads_lower")),
    hints=(
        "A model that reads only the past should not beat a healthy one on random operand digits. "
        "Where could the extra information come from?",
        "Run the leak test: does the gradient of an early position's logits reach later inputs? It does "
        "before any training, so the cause is in the forward pass, not in what was learned.",
        "Draw the heatmaps on a linear 0-1 scale and look above the diagonal: the masked cells are not "
        "empty. A masked cell should get exactly zero weight after the softmax.",
        "The `masked_softmax` seam fills the masked scores with 0. After exp, 0 becomes 1: an ordinary "
        "score. Fill them with -inf (or the dtype's most negative value) so exp gives exactly 0.",
    ),
    cause="Masked scores are set to 0 rather than -inf, so after the softmax every future key keeps a "
          "weight of exp(0) against the others, and the model learns to read the future.",
    why="The mask is 'applied' and the code looks right at a glance; only the fill value is wrong. The "
        "heatmap's upper triangle shows it, the leak test proves it before training, and the loss beating "
        "a healthy run is the tell-tale sign that information flows from where it must not.",
    seen_in="Hand-written attention that multiplies the scores by a 0/1 mask (`att * mask`) or uses "
            "`masked_fill(mask == 0, 0)` before the softmax; the same mistake with a padding mask in "
            "encoder code.",
)
