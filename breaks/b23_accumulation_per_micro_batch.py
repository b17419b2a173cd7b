"""Break: gradient accumulation averages each micro-batch on its own, then divides by their number."""
from minimodel.catalogue import Break, Question, Symptom, questions


def accumulation_divisor(micro_count: int, batch_count: int, micro_batches: int) -> int:
    """What one micro-batch's summed token losses are divided by."""
    return micro_count * micro_batches  # BUG: each micro-batch's own mean, over k: a token's weight varies


BREAK = Break(
    title="Accumulated over micro-batches, the gradient is no longer the full batch's, and the loss does not say",
    phase="training loop",
    replaces={"accumulation_divisor": accumulation_divisor},
    recipe="rows-accumulated",
    questions=(
        questions.detector_fired("loss_lower", "Will this run's held-out loss read lower than the healthy "
                                 "control's, as if the reweighted tokens had taught it more?", "loss_reads_lower",
                                 "yes", "no", default="no"),
        Question("gap", "By how much, in percent, will the accumulated gradient differ from the full batch's "
                 "(|difference| / |full|) at initialisation?", tolerance=1,
                 observe=lambda m, f: 100 * m["accumulation_gap"], default=0),
        questions.ar_exact_match(tolerance=5, default=95),
        questions.explain("In a sentence or two: when do k micro-batch means, averaged, equal the batch's mean?"),
    ),
    symptoms=(Symptom("accumulation_differs", 1e-4),),
    # the loss never reads better than the control's. Neither a higher loss nor its exact match is a check:
    # reweighted tokens move the run onto another path, as any small change does, and the learning transition
    # with it (earlier or later, by seed, thread count and CPU); a run whose transition comes after the
    # control's reads a higher loss and a lower exact match at the step both stop
    checks=(Symptom("loss_reads_lower"),),
    hints=(
        "Training looks healthy and the model learns its task. Compute one gradient on a whole batch, and "
        "the same batch's gradient accumulated over its micro-batches: do they agree?",
        "A loss is a sum over tokens divided by a count. Which count does each micro-batch divide by?",
        "The mean of the micro-batches' means equals the batch's mean only when every micro-batch holds the same "
        "number of supervised tokens.",
        "The `accumulation_divisor` seam divides by `micro_count * micro_batches`. Divide every micro-batch's sum "
        "by the supervised count of the whole batch instead.",
    ),
    cause="Each micro-batch's loss is its own mean divided by k, so a token in a micro-batch with few supervised "
          "tokens weighs more than one in a full micro-batch: the accumulated gradient is not the batch's.",
    why="The loss curve looks healthy and the model learns: the bug only changes how tokens are weighted. That "
        "moves the run onto another path, as any small change does, so on some seeds it learns its task a little "
        "later (or sooner) than the control: where later, its loss reads higher and its exact match lower at the "
        "step both runs stop. Nothing in a small run's metrics points at the weighting. The "
        "equivalence that catches it is the one trainers now test: accumulated against full-batch gradient, on "
        "one batch, before training.",
    seen_in="transformers PR #34191 (the 2024 gradient accumulation fix), torchtune PR #1875, nanoGPT #168, "
            "TRL #2175 (losses normalised per micro-batch instead of over the whole batch).",
)
