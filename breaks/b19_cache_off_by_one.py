"""Break: the KV cache writes each new token one slot too early, over the token before it."""
from minimodel.catalogue import Break, Findings, Question, Symptom, questions
from minimodel.detectors import DETECTORS
from minimodel.metrics import Metrics


def cache_slot(past_length: int) -> int:
    """Where a step's keys and values go in the KV cache."""
    return max(past_length - 1, 0)  # BUG: one slot early: each new token overwrites the one before it


def _which(m: Metrics, _f: Findings) -> str:
    differs = DETECTORS["cached_generation_differs"](m)  # the equivalence's own threshold decides "none"
    return ("none" if not differs.fired else "from the first token"
            if m["serving"]["cached_first_differs"] > differs.threshold else "from the second token on")


BREAK = Break(
    title="Generation with the cache drifts after the first token; without it, every answer is right",
    phase="serving",
    replaces={"cache_slot": cache_slot},
    recipe="rows-all",
    questions=(
        Question("which", "Compared with generation without the cache, which tokens of the cached answers will "
                 "differ?", options=("none", "from the first token", "from the second token on"), observe=_which,
                 default="from the first token"),
        Question("cached_exact", "Exact match of the answers served with the KV cache, in percent?", tolerance=15,
                 observe=lambda m, f: 100 * m["serving"]["exact_match"], default=95),
        questions.ar_exact_match(tolerance=5, default=50,
                                 text="Exact match of greedy generation without the cache, in percent?"),
        questions.explain("In a sentence or two: why is the first token right and the rest wrong?"),
    ),
    # how many answers the cache changes varies with how a model leans on the overwritten token (the served
    # exact match fell by 12 % to 94 % over seeds 0-9, and the share of changed answers read as low as 3.75 %):
    # the logits, cached against one forward over the same tokens, move on every seed and every model
    symptoms=(Symptom("cached_logits_differ"),),
    checks=(Symptom("batched_generation_differs"), Symptom("ar_lags_control"), Symptom("generation_disagrees")),
    hints=(
        "Without the cache every answer is right, so the model is fine. What does the cache change between "
        "the first generated token and the second?",
        "The first token comes from the prefill, which writes the whole prompt into the cache. Each later step "
        "writes one token: where?",
        "Print the cache's length before and after a decode step, and which slot the step wrote.",
        "The `cache_slot` seam returns `past_length - 1`: each new token overwrites the previous one. It must go "
        "right after the past: `past_length`.",
    ),
    cause="Each decode step writes its key and value one slot too early, over the token before it, so from the "
          "second generated token on the model attends to a past that has lost a token.",
    why="A cache is an optimisation that must change nothing; the test that it changes nothing (cached logits "
        "against a full forward pass) catches the bug on a random model, before any training.",
    seen_in="x-transformers #219 (cache offset), pytorch #144858 (index_copy at the wrong cache position), "
            "transformers #48289 (cache_position off by one after the prefill).",
)
