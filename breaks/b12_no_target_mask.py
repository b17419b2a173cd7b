"""Break: no completion mask on one-example rows, so the loss covers the prompt's random digits too."""
import torch

from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def completion_mask(answer_start: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B, T) bool: which targets of each one-example row are supervised."""
    return torch.ones(len(answer_start), block_size, dtype=torch.bool)  # BUG: every target counts, prompts too


def _loss_vs_control(m: Metrics, f: Findings) -> str:
    ratio = f["loss_reads_higher"].value
    return "much higher" if ratio and ratio > 1.3 else "about the same" if ratio and ratio > 0.8 else "lower"


BREAK = Break(
    title="The loss stays far above an answer-only run's, on the same task and steps",
    phase="target masks",
    replaces={"completion_mask": completion_mask},
    recipe="rows-answer",
    questions=(
        Question("loss_vs_control", "Compared with a run whose loss covers only the answers, the loss this "
                 "run reports will be:", options=("much higher", "about the same", "lower"),
                 observe=_loss_vs_control, default="about the same"),
        Question("off_answer", "What percentage of the supervised targets will not be answer tokens?",
                 tolerance=10, observe=lambda m, f: 100 * m["off_answer_target_share"], default=0),
        questions.ar_exact_match(tolerance=10, default=20),
        questions.explain("In a sentence or two: can you compare this run's loss with the answer-only "
                          "run's to decide which model is better?"),
    ),
    symptoms=(Symptom("off_answer_targets"), Symptom("loss_reads_higher", 1.3)),
    hints=(
        "A loss is a mean over its targets. Are the two runs averaging over the same tokens?",
        "Look at the loss per token kind: which kinds of target does this run train on that an "
        "answer-only run does not?",
        "The operands of each sum are random digits: no model can predict them, so any loss that "
        "includes them has a floor far above zero. Which tokens should the mask keep?",
        "The `completion_mask` seam marks every target of the row as supervised. Only the answer "
        "tokens (from the first token after '=' on; the padding after the stop is masked later) "
        "should be.",
    ),
    cause="The completion mask keeps every target, so the loss is taken over the prompt's random digits, "
          "'+' and '=' as well as the answer.",
    why="Losses computed under different masks are not comparable: this one has a floor set by the "
        "random operands, so it reads far higher whatever the model has learned, although the model "
        "learns the sums as well as the answer-only run (AR exact match as high as the control's on "
        "every seed we measured). Compare runs on the same metric (answer loss, or AR exact match), "
        "and count what the mask keeps.",
    seen_in="Supervised fine-tuning that forgets the completion-only collator (`labels = input_ids`, "
            "prompts included), and loss-curve comparisons between runs made with and without it.",
)
