"""Break: the evaluation's headline accuracy is teacher-forced token accuracy, not generation."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def headline_accuracy(tf_token_accuracy: float, ar_exact_match: float) -> float:
    """The accuracy a report leads with."""
    return tf_token_accuracy  # BUG: argmax == labels on the teacher-forced pass, as in compute_metrics


def _reported_vs_real(m: Metrics, f: Findings) -> str:
    gap = m["accuracy"] - m["ar"]["exact_match"]
    return "far higher (more than 10 points)" if gap > 0.1 else "about the same" if gap > -0.1 else "lower"


BREAK = Break(
    title="The reported accuracy is far above what the model can do",
    phase="evaluation",
    replaces={"headline_accuracy": headline_accuracy},
    recipe="rows-all",
    questions=(
        Question("reported_vs_real", "Compared with the share of sums the model gets right when it "
                 "generates the answer itself (greedy AR), the reported accuracy will be:",
                 options=("far higher (more than 10 points)", "about the same", "lower"),
                 observe=_reported_vs_real, default="about the same"),
        Question("reported", "The reported accuracy, in percent?", tolerance=15,
                 observe=lambda m, f: 100 * m["accuracy"], default=10),
        questions.ar_exact_match(tolerance=10, default=10),
        questions.explain("In a sentence or two: what does the reported number actually measure?"),
    ),
    symptoms=(Symptom("headline_inflated"),),
    steps=200,
    half_trained="Once a model gets nearly every sum right, token accuracy and generated exact match agree "
                 "(within 3 points on every seed at 1500 steps), so the inflated number shows only on a model "
                 "still learning: this break stops both runs at 200 steps, and the healthy control's own "
                 "numbers stay beside it.",
    hints=(
        "Generate answers yourself from a few held-out prompts and count how many are right. Does "
        "that agree with the reported accuracy?",
        "The reported number is computed from one forward pass. What is in the model's input during "
        "that pass that it would not have while answering a real question?",
        "Per-token accuracy with the true answer in the input gives credit for every easy token "
        "(the stop, the leading '1' of a three-digit sum) even when the answer as a whole is wrong.",
        "The `headline_accuracy` seam returns teacher-forced token accuracy. Report the exact match "
        "of answers the model generates greedily from the prompt.",
    ),
    cause="The evaluation reports teacher-forced per-token accuracy (argmax against the labels, with "
          "the true answer in the input) as the model's accuracy, instead of exact match of generated "
          "answers.",
    why="The number every report leads with can measure something other than the task: teacher "
        "forcing scores each token given the true prefix and gives partial credit, so it stays far "
        "above what generation achieves until the model is nearly perfect (on a model that has learned "
        "the sums the two agree, which is why this exercise stops training early).",
    seen_in="`compute_metrics` with `Trainer` computing `(logits.argmax(-1) == labels).mean()` on the "
            "evaluation set and calling it accuracy, where generation (`predict_with_generate`, or a "
            "separate generation loop) was needed.",
)
