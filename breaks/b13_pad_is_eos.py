"""Break: PAD and EOS share one id, and padding is masked by id, so the stop token is never a target."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.metrics import Metrics


def pad_token_id(pad_id: int, eos_id: int) -> int:
    """The id rows are padded with."""
    return eos_id  # BUG: tokenizer.pad_token = tokenizer.eos_token, then every pad id is masked


def _stops(m: Metrics, f: Findings) -> str:
    rate = m["ar"]["stop_rate"]
    return "almost always (over 90 %)" if rate > 0.9 else "sometimes" if rate > 0.1 else "almost never"


BREAK = Break(
    title="Generation never stops, even when the answer is right",
    phase="target masks",
    replaces={"pad_token_id": pad_token_id},
    recipe="rows-all",
    questions=(
        Question("stops", "How often will greedy generation end its answer with the stop token?",
                 options=("almost always (over 90 %)", "sometimes", "almost never"), observe=_stops,
                 default="almost always (over 90 %)"),
        Question("right_no_stop", "In what percentage of prompts will the answer's digits come out right, "
                 "yet no stop token follow?", tolerance=15,
                 observe=lambda m, f: 100 * m["ar"]["right_but_no_stop"], default=0),
        questions.ar_exact_match(tolerance=10, default=10, text="Greedy generation (AR) exact match on held-out sums "
                                 "(answer and stop), in percent?"),
        questions.explain("In a sentence or two: why does the model not stop?"),
    ),
    symptoms=(Symptom("ar_never_stops"), Symptom("right_but_no_stop")),
    hints=(
        "Read the AR samples to the end: what comes after the answer?",
        "The model was trained on answers followed by a stop token. Look at the loss per token kind: "
        "is 'eos' among the kinds the model is trained on?",
        "Rows are padded to a fixed length, and padding is removed from the loss by comparing ids. "
        "Which id is used for padding, and what else has that id?",
        "The `pad_token_id` seam returns the EOS id. Every stop token then looks like padding and gets "
        "the ignore index: the model is never taught to stop. Give padding its own id.",
    ),
    cause="Padding reuses the stop token's id, and padding is masked out of the loss by id, so every "
          "stop target is masked too and the model never learns to end an answer.",
    why="The loss looks fine and the answers' digits are often right, but the model never stops: a "
        "mask by token id silently removes every token that shares the id. The stop rate and the "
        "loss per token kind show it at once; exact match alone only says 'wrong'.",
    seen_in="Fine-tuning scripts that set `tokenizer.pad_token = tokenizer.eos_token` (models without "
            "a pad token, such as GPT-2 or Llama) and then mask `labels[labels == pad_token_id] = -100`, "
            "producing models that ramble on to `max_new_tokens`.",
)
