"""Break: the serving prompt starts with a second BOS that training never showed."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def serving_prompt(prompt: list[int], start_id: int, sep_id: int) -> list[int]:
    """What a served model is given for a prompt."""
    return [start_id, start_id] + prompt + [sep_id]  # BUG: a chat template adds BOS, and so does the tokenizer


def _tf(m: Metrics, _f: Findings) -> str:
    return "as good as healthy" if m["tf_exact_match"] > 0.9 else "worse"


BREAK = Break(
    title="Teacher-forced metrics are perfect, yet the served model answers wrong",
    phase="serving",
    replaces={"serving_prompt": serving_prompt},
    recipe="rows-all",
    questions=(
        Question("tf", "Teacher-forced exact match on held-out sums will be", options=("as good as healthy",
                 "worse"), observe=_tf, default="worse"),
        Question("served_exact", "Exact match of the answers the served model gives, in percent?", tolerance=15,
                 observe=lambda m, f: 100 * m["serving"]["exact_match"], default=95),
        questions.detector_fired("prompt", "Will the ids the served model is given differ from what training "
                                 "put before each answer?", "serving_prompt_differs", "yes", "no", default="no"),
        questions.explain("In a sentence or two: why can a model that learned the task fail to answer it?"),
    ),
    symptoms=(Symptom("serving_prompt_differs"), Symptom("serving_lags_control")),
    checks=(Symptom("tf_lags_control"), Symptom("ar_lags_control"), Symptom("batched_generation_differs"),
            Symptom("cached_generation_differs")),
    hints=(
        "Every metric computed on the training data is healthy: only the served answers are wrong. What does "
        "serving do differently from training?",
        "Decode the ids the served model is given for one prompt, and the ids a training row has before its "
        "answer. Are they the same?",
        "With learned positions and a fixed format, one extra token at the start moves every token one "
        "position on, and the model has never seen BOS followed by BOS.",
        "The `serving_prompt` seam writes the start token twice. Build the serving prompt exactly as training "
        "did: one start token, the prompt, the separator.",
    ),
    cause="The serving prompt adds a second BOS (as a chat template and a tokenizer that both add one do), so the "
          "served model sees a format training never showed it.",
    why="The model and every training metric are healthy; the bug is in the contract between training and "
        "serving, and comparing the two prompts' ids, token by token, catches it without running the model.",
    seen_in="LlamaFactory #2509 (a double BOS from the template and the tokenizer), sglang PR #888 (chat template "
            "adding BOS twice), open-r1 PR #462 (training and evaluation prompts formatted differently).",
)
