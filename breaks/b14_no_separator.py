"""Break: examples are written without the separator between prompt and answer."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def format_example(prompt: list[int], answer: list[int], sep_id: int, eos_id: int) -> list[int]:
    """One example as tokens."""
    return prompt + answer + [eos_id]  # BUG: no separator: `7+4552` instead of `7+45=52`


def _answer_start(m: Metrics, f: Findings) -> str:
    return "no: some prompts could go on in more than one way" if f["answer_start_ambiguous"].fired \
        else "yes, always"


BREAK = Break(
    title="Generation gets more sums wrong than a healthy run, though the data and the model look fine",
    phase="data format",
    replaces={"format_example": format_example},
    recipe="unpadded-rows",
    questions=(
        Question("answer_start", "Reading a prompt token by token, can the model always tell where "
                 "the answer starts?", options=("yes, always", "no: some prompts could go on in more than one way"),
                 observe=_answer_start, default="yes, always"),
        Question("ambiguous", "What percentage of held-out prompts could, in this data, continue in more "
                 "than one way?", tolerance=8, observe=lambda m, f: 100 * m["ambiguous_prompt_share"],
                 default=0),
        questions.ar_exact_match(tolerance=15, default=50),
        questions.explain("In a sentence or two: what does the model have to guess that a healthy "
                          "model is told?"),
    ),
    symptoms=(Symptom("answer_start_ambiguous"),),
    hints=(
        "Print a few training examples exactly as the model sees them, token by token.",
        "Read `5+61` one token at a time. Is the `1` part of the second operand, or the first digit "
        "of the answer to 5+6?",
        "The prompts have different lengths (operands are not zero-padded), so only a marker can "
        "tell the model where the question ends. Which token used to be that marker?",
        "The `format_example` seam drops the separator. Put `sep_id` between the prompt and the "
        "answer, in training and in generation alike.",
    ),
    cause="The example format leaves out the separator, so with operands of varying length the "
          "model cannot tell where the prompt ends and the answer begins.",
    why="A prompt format is part of the model's input, not decoration: without a delimiter, "
        "variable-length fields run into each other and a share of the prompts becomes genuinely "
        "ambiguous, which also makes the whole task harder to learn: the run without separator ends "
        "well below the control's exact match. Zero-padded operands would have hidden the bug, "
        "since every prompt would end at the same position.",
    seen_in="Prompt templates for fine-tuning that concatenate instruction and response without the "
            "response marker, or chat templates applied in training but not at inference (or the "
            "reverse).",
)
