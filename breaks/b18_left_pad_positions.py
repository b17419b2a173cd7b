"""Break: served in a left-padded batch, positions are counted from the first column, padding included."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def position_ids(attention_mask: torch.Tensor) -> torch.Tensor:
    """(B, T) attention mask (1: a real token) -> (B, T) each token's position."""
    B, T = attention_mask.shape
    return torch.arange(T).expand(B, T)  # BUG: a left-padded row's first real token is not at position 0


def _alone_vs_batched(m: Metrics, _f: Findings) -> str:
    return "worse in the batch" if m["serving"]["batched_differs"] > 0.05 else "the same"


BREAK = Break(
    title="Each prompt served alone is answered right; served together in a batch, most are wrong",
    phase="serving",
    replaces={"position_ids": position_ids},
    recipe="unpadded-rows",
    questions=(
        Question("alone_vs_batched", "The same held-out prompts, served one at a time and served together in "
                 "one left-padded batch: the batch's answers will be", options=("the same", "worse in the batch"),
                 observe=_alone_vs_batched, default="the same"),
        Question("served_exact", "Exact match of the answers served in the batch (with the KV cache), in percent?",
                 tolerance=15, observe=lambda m, f: 100 * m["serving"]["exact_match"], default=95),
        questions.detector_fired("tf", "Will teacher-forced exact match lag the healthy control's?",
                                 "tf_lags_control", "yes", "no", default="yes"),
        questions.explain("In a sentence or two: what differs between a prompt alone and the same prompt in "
                          "a batch?"),
    ),
    # only the prompts shorter than the longest of the batch are padded (17.75-22.25 % of the 400 held-out
    # prompts over seeds 0-9): the served exact match can fall by no more than that share, so the lag it
    # shows is held to 8 points, not the 10 of a break that harms every prompt
    symptoms=(Symptom("batched_generation_differs"), Symptom("serving_lags_control", 0.08)),
    checks=(Symptom("tf_lags_control"), Symptom("cached_generation_differs"), Symptom("ar_lags_control")),
    hints=(
        "Training, teacher-forced metrics and one-prompt-at-a-time generation are healthy. What is different "
        "when prompts of different lengths share a batch?",
        "Which prompts in a batch come out right? Compare their lengths with the longest prompt's.",
        "Left padding puts the shorter prompts' tokens further right. With learned positions, what position "
        "does a shorter prompt's first real token get, and where did training put it?",
        "The `position_ids` seam numbers the columns 0..T-1. Positions must count real tokens only: the "
        "cumulative sum of the attention mask, minus one.",
    ),
    cause="Served in a left-padded batch, positions are numbered over the padding too, so every prompt shorter "
          "than the longest sits at positions the model never saw it at.",
    why="The model is fine and so is every metric computed one example at a time; only batching exposes the "
        "bug, which is why serving stacks test a padded batch against each prompt alone.",
    seen_in="unsloth #3699 and PR #4078 (left-padded batched generation without position ids), nnsight PR #673, "
            "transformers #18478 (generate with left padding and GPT-2's absolute positions).",
)
