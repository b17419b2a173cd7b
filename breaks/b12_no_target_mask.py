"""Break: no answer mask on packed blocks, so the loss covers prompts and the next example's numbers."""
import torch

from minimodel.catalogue import Break, Question, Symptom


def answer_mask(stream: torch.Tensor, starts: torch.Tensor, block_size: int, sep_id: int,
                eos_id: int) -> torch.Tensor:
    """(B, T) bool: which targets of each packed block are answer tokens."""
    return torch.ones(len(starts), block_size, dtype=torch.bool)  # BUG: every target counts, prompts too


def _loss_vs_control(m: dict, f: dict) -> str:
    ratio = f["loss_reads_higher"].value
    return "much higher" if ratio and ratio > 1.3 else "about the same" if ratio and ratio > 0.8 else "lower"


BREAK = Break(
    id="no-target-mask",
    tag="broken-no-target-mask",
    title="The loss stays far above an answer-only run's, on the same task and steps",
    phase="target masks",
    replaces={"answer_mask": answer_mask},
    recipe="packed-answer-64",
    questions=(
        Question("loss_vs_control", "Compared with a run whose loss covers only the answers, the loss this "
                 "run reports will be:", options=("much higher", "about the same", "lower"),
                 observe=_loss_vs_control, default="about the same"),
        Question("off_answer", "What percentage of the supervised targets will not be answer tokens?",
                 tolerance=10, observe=lambda m, f: 100 * m["off_answer_target_share"], default=0),
        Question("ar_exact_match", "Greedy generation (AR) exact match on held-out sums, in percent?",
                 tolerance=10, observe=lambda m, f: 100 * m["ar"]["exact_match"], default=20),
        Question("explain", "In a sentence or two: can you compare this run's loss with the answer-only "
                 "run's to decide which model is better?"),
    ),
    symptoms=(Symptom("off_answer_targets"), Symptom("loss_reads_higher", 1.3)),
    hints=(
        "A loss is a mean over its targets. Are the two runs averaging over the same tokens?",
        "Look at the loss per token kind: which kinds of target does this run train on that an "
        "answer-only run does not?",
        "The operands of each sum are random digits: no model can predict them, so any loss that "
        "includes them has a floor far above zero. Which tokens should the mask keep?",
        "The `answer_mask` seam marks every target of the block as supervised. Only the answer "
        "tokens (after '=', up to and including the stop) should be, computed on the whole stream "
        "before it is cut into blocks.",
    ),
    cause="The answer mask keeps every target, so the loss is taken over the prompts' random digits "
          "and the next example's numbers as well as the answers.",
    why="Losses computed under different masks are not comparable: this one has a floor set by the "
        "random operands, so it reads higher whatever the model has learned. Compare runs on the "
        "same metric (answer loss, or AR exact match), and count what the mask keeps.",
    seen_in="Supervised fine-tuning that forgets the completion-only collator (training on the whole "
            "packed sequence, prompts included), and loss-curve comparisons between runs made with "
            "and without it.",
)
