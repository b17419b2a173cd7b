"""Break: the evaluation generates too few tokens for the longest answers and their stop token."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def generation_budget(longest_answer: int) -> int:
    """How many tokens to generate."""
    return longest_answer  # BUG: max_new_tokens counts the answer's digits, not its stop token


def _by_length(table: dict) -> dict[int, float]:
    return {int(n): v for n, v in table.items()}  # keys are strings once read back from JSON


def _where(m: Metrics, f: Findings) -> str:
    by_len = _by_length(m["ar"]["stop_rate_by_answer_length"])
    longest = max(by_len)
    shorter = min(v for n, v in by_len.items() if n != longest)
    if by_len[longest] < 0.5 <= shorter:
        return "on the longest answers only"
    return "on every answer length" if by_len[longest] < 0.5 else "nowhere: it always stops"


BREAK = Break(
    title="Long answers never come out complete, short ones do",
    phase="evaluation",
    replaces={"generation_budget": generation_budget},
    recipe="rows-all",
    questions=(
        Question("where", "Where will greedy generation fail to end its answer with the stop token?",
                 options=("on the longest answers only", "on every answer length", "nowhere: it always stops"),
                 observe=_where, default="nowhere: it always stops"),
        Question("long_ar", "AR exact match on the 3-digit answers (sums of 100 or more), in percent?",
                 tolerance=10, observe=lambda m, f: 100 * _by_length(m["ar"]["exact_by_answer_length"])[3], default=10),
        Question("malformed", "What percentage of AR continuations will not be a complete answer (digits "
                 "then the stop token)?", tolerance=15, observe=lambda m, f: 100 * m["ar"]["malformed_share"],
                 default=0),
        questions.explain("In a sentence or two: why do only some answers fail?"),
    ),
    symptoms=(Symptom("long_answers_unfinished"), Symptom("ar_malformed", 0.25)),  # ~half the sums have 3 digits
    hints=(
        "Compare AR exact match by answer length with teacher-forced exact match by answer length.",
        "Read the AR samples for sums of 100 or more: are the digits wrong, or is something missing "
        "at the end?",
        "Training and teacher-forced metrics are the same as the healthy run's: the model is fine. "
        "Look at what the evaluation asks of it: how many tokens may it generate?",
        "The `generation_budget` seam returns the longest answer's length, so a 3-digit answer uses "
        "the whole budget and its stop token is cut off. The budget must count the stop token too.",
    ),
    cause="The generation budget is the longest answer's length without its stop token, so the "
          "longest answers are cut before they can end.",
    why="An evaluation setting, not the model, produces the failure, and only on one slice of the "
        "data: accuracy by answer length beside the teacher-forced numbers points straight at it.",
    seen_in="Evaluation harnesses with a `max_new_tokens` or `max_length` set for the typical answer "
            "(or counting the prompt in `max_length`): long answers are truncated and scored wrong, "
            "and the model is blamed.",
)
