"""Break: examples packed in one row attend across their boundaries, and their positions keep counting."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.detectors import DETECTORS
from minimodel.metrics import Metrics


def document_mask(document_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) which example each token of a packed row belongs to -> (B, T, T) bool."""
    B, T = document_ids.shape
    return torch.ones(B, T, T, dtype=torch.bool)  # BUG: every token sees the examples packed before it


def document_positions(document_ids: torch.Tensor) -> torch.Tensor:
    """(B, T) document ids of a packed row -> (B, T) positions."""
    return torch.arange(document_ids.shape[1]).expand_as(document_ids)  # BUG: positions run on across examples


def _same(m: Metrics, _f: Findings) -> str:
    return "different" if DETECTORS["packed_logits_differ"](m).fired else "the same"  # the equivalence decides


BREAK = Break(
    # how well the broken model still answers on its own varies from seed to seed (it may learn to look past
    # its neighbours); the equivalence, packed against alone, differs on every seed
    title="Packed examples see each other: a prompt's logits change with what is packed before it",
    phase="training loop",
    replaces={"document_mask": document_mask, "document_positions": document_positions},
    recipe="packed-documents",
    questions=(
        Question("same", "A held-out example's logits packed in a row with others, and on its own row, will be",
                 options=("the same", "different"), observe=_same, default="the same"),
        questions.ar_exact_match(tolerance=10, default=90),
        questions.explain("In a sentence or two: what does padding-free packing have to give every example?"),
    ),
    symptoms=(Symptom("packed_logits_differ"),),
    checks=(Symptom("leak_test"), Symptom("non_finite")),
    hints=(
        "The loss looks healthy. Run one held-out example packed in a row with others, and the same example on "
        "its own row: are its logits the same?",
        "Inside a packed row, which tokens may an example's first token look at? Which position does it get?",
        "Padding-free training (a flattening collator) gives every example its own attention and its own "
        "positions, as if it had a row to itself.",
        "The `document_mask` seam lets every token see every earlier one, and `document_positions` counts on "
        "across examples. A token may look only at its own example, and positions start again at 0 with each.",
    ),
    cause="Packed without a document mask or a position reset, each example attends to the ones packed before "
          "it and sits at whatever position it landed on, so training sees contexts a lone prompt never has.",
    why="Packing is a pure speed-up only when it changes nothing: the equivalence that proves it (packed against "
        "one example per row, at the real tokens) catches the missing mask in a second.",
    seen_in="functionary #265 (packing without resetting positions), nanoVLM PR #204 (cross-sample attention in "
            "packed batches), TRL PR #3526 (padding-free packing needs position ids).",
)
