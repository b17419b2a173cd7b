"""Sanity check: a 1-layer model memorises one sentence; the variant leaves its first three targets out."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics
from minimodel.seams import IGNORE_INDEX


def mask_special_targets(targets: torch.Tensor, special_ids: list[int]) -> torch.Tensor:
    """Targets that are PAD, PAUSE or BOS carry no meaning: give them the ignore index."""
    special = torch.isin(targets, torch.tensor(special_ids, device=targets.device))
    targets = targets.masked_fill(special, IGNORE_INDEX)  # (B, T)
    return targets.index_fill(1, torch.arange(3), IGNORE_INDEX)  # BUG: the first 3 targets ("I l") leave the loss


def _recall(prompt: str):
    def observe(m: Metrics, _f: Findings) -> str:
        share = next(p["correct_share"] for p in m["recall"] if p["prompt"] == prompt)
        return "exactly" if share == 1 else "not exactly"
    return observe


BREAK = Break(
    title="Sanity check: can a one-layer model memorise one sentence?",
    phase="sanity check",
    replaces={"mask_special_targets": mask_special_targets},
    recipe="memorise",
    expect="sanity",
    questions=(
        Question("loss", "A 1-layer model trains on the one sentence 'I love machine learning' for 150 steps. "
                 "Its final loss on the targets it trained on, in nats (a uniform guess scores ln V, about 2.9)?",
                 tolerance=0.1, observe=lambda m, f: m["tf"]["loss"], default=0.5),
        Question("from_bos", "In this variant the first three targets ('I', ' ', 'l') are left out of the loss. "
                 "Greedy generation from BOS alone (an empty prompt): does the sentence come back?",
                 options=("exactly", "not exactly"), observe=_recall(""), default="exactly"),
        Question("from_prompt", "And from the prompt 'I l': does the rest, 'ove machine learning', come back?",
                 options=("exactly", "not exactly"), observe=_recall("I l"), default="exactly"),
        questions.explain("In a sentence or two: what did the model learn, and what could it not learn?"),
    ),
    symptoms=(Symptom("no_recall_from_start"),),
    checks=(Symptom("not_memorised"), Symptom("no_recall_from_prompt")),
    hints=(
        "A model can only learn to produce what its loss asks it to produce. Which predictions were "
        "never graded?",
        "Compare the loss on the training targets with the loss against every true next token: the "
        "first is near zero, the second is not. Which positions make up the difference?",
        "Look at what comes out from BOS alone: the model does not know how the sentence starts, yet "
        "from 'I l' it knows the rest by heart.",
        "The `mask_special_targets` seam also gives the first three targets the ignore index, as a "
        "fine-tuning pipeline does to a prompt. Leave them in the loss and the model learns to start "
        "the sentence from BOS too.",
    ),
    cause="The first three targets carry the ignore index, so the model never learns to produce 'I l' "
          "and cannot start the sentence from BOS, though it completes it from 'I l'.",
    why="Before hunting bugs, prove the machinery: a one-layer model must drive the loss on one sentence "
        "to almost zero and regenerate it exactly, or nothing later can be trusted. The variant shows "
        "what a loss mask means: masked tokens are context the model reads, never text it learns to "
        "write, which is exactly what masking a prompt in fine-tuning intends.",
    seen_in="Karpathy's 'overfit one batch' advice (A Recipe for Training Neural Networks, 2019); prompt "
            "masking (`labels[:n_prompt] = -100`) in instruction-tuning scripts, whose models complete a "
            "prompt but never learn to write one.",
)
