"""Break: PAD targets stay in the loss of a padded, one-example-per-row batch."""
import torch

from minimodel.catalogue import Break, Question, Symptom, questions


def mask_special_targets(targets: torch.Tensor, special_ids: list[int]) -> torch.Tensor:
    """Targets that are PAD, PAUSE or BOS carry no meaning: give them the ignore index."""
    return targets  # BUG: labels = input_ids, and padding is never set to the ignore index


BREAK = Break(
    title="The training loss looks excellent on a padded dataset",
    phase="target masks",
    replaces={"mask_special_targets": mask_special_targets},
    recipe="padded-rows",
    questions=(
        questions.detector_fired("loss_vs_control", "Compared with a run that masks padding, will the reported loss "
                                 "be much lower, or about the same or higher?", "loss_reads_lower",
                                 "much lower", "about the same or higher", default="about the same or higher"),
        Question("special_share", "What percentage of the supervised targets will be padding?",
                 tolerance=10, observe=lambda m, f: 100 * m["special_target_share"], default=10),
        questions.ar_exact_match(tolerance=20, default=50),
        questions.explain("In a sentence or two: what is the reported loss made of?"),
    ),
    symptoms=(Symptom("special_targets"), Symptom("loss_reads_lower")),
    hints=(
        "A loss is an average. Over which tokens is this one taken?",
        "Look at the loss per token kind: which kinds of target appear, and how easy are they?",
        "About two fifths of every row is padding after the stop token, and PAD after PAD is trivially "
        "predictable. Should a model be graded on predicting padding?",
        "The `mask_special_targets` seam returns the targets unchanged. PAD, PAUSE and BOS targets "
        "must become the ignore index (-100) before the loss.",
    ),
    cause="Padding tokens are left in the targets, so two fifths of the targets the loss averages "
          "over are the trivial prediction of more padding.",
    why="The reported loss drops far below a masked run's, because two fifths of its targets are PAD after "
        "PAD, while the answers are still learned, on some seeds later than with the mask (the exact matches "
        "at the step where the masked control has learned are on the measurement page). So comparisons with "
        "any run that masks padding are meaningless, and a loss curve stops being evidence of learning about "
        "the answers.",
    seen_in="Fine-tuning scripts that set `labels = input_ids` for padded batches and forget to "
            "replace the pad id with -100 (a frequent question on the Hugging Face forums).",
)
