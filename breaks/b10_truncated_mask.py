"""Break: the answer-only target mask is computed per packed block, as if each block began an example."""
import torch

from minimodel.catalogue import Break, Question, Symptom, questions


def answer_mask(stream: torch.Tensor, starts: torch.Tensor, block_size: int, sep_id: int,
                eos_id: int) -> torch.Tensor:
    """(B, T) bool: which targets of each packed block are answer tokens (after '=', up to '\\n')."""
    targets = stream[starts[:, None] + 1 + torch.arange(block_size)]  # (B, T) each block's targets
    # BUG: the answer is looked for inside each block alone, as if every block began at an example's
    # start; a block cut in the middle of an answer never sees that answer's '=', so it drops them
    pos = torch.arange(block_size)
    last_sep = torch.where(targets == sep_id, pos, -1).cummax(1).values  # (B, T) latest '=' in the block
    last_eos = torch.where(targets == eos_id, pos, -1).cummax(1).values  # (B, T) latest stop in the block
    prev_eos = torch.cat([torch.full_like(last_eos[:, :1], -1), last_eos[:, :-1]], 1)  # (B, T) strictly before
    return (last_sep > prev_eos) & (targets != sep_id)  # (B, T) after a '=' seen here, up to its stop


BREAK = Break(
    title="The reported loss reads lower than the model deserves",
    phase="target masks",
    replaces={"answer_mask": answer_mask},
    recipe="packed-answer-16",
    questions=(
        questions.detector_fired("loss_vs_truth", "Will the loss this run reports be lower than the same model's "
                                 "loss measured over every real answer token?", "loss_hides_tokens",
                                 "lower", "about the same or higher", default="about the same or higher"),
        Question("ignored_share", "What percentage of real answer tokens will carry the ignore index "
                 "(and so never be trained on)?", tolerance=8,
                 observe=lambda m, f: 100 * m["ignored_answer_share"], default=0),
        questions.ar_exact_match(tolerance=15, default=50),
        questions.explain("In a sentence or two: which tokens does the mask drop, and what does that "
                          "do to the loss you read?"),
    ),
    symptoms=(Symptom("ignored_answer_tokens"), Symptom("loss_hides_tokens")),
    hints=(
        "The loss you read is a mean over the supervised tokens only. Which tokens are in that mean?",
        "Count the answer tokens whose target is the ignore index. The healthy mask ignores none of "
        "the answer tokens: where do the ignored ones sit inside a block?",
        "Blocks are cut at random offsets of the packed stream, so many begin in the middle of an "
        "example. What does the mask assume about where a block begins?",
        "The `answer_mask` seam walks each block from its first token in the 'prompt' state. A block "
        "that starts inside an answer gets that answer's tokens masked. Compute the mask on the whole "
        "stream once, then cut it with the blocks.",
    ),
    cause="The answer mask is computed separately for every block, starting in the 'prompt' state, "
          "so a block that begins in the middle of an answer marks those answer tokens as prompt.",
    why="Losses under different masks are not comparable: the dropped tokens are the hardest ones "
        "(their prompt lies before the block), so hiding them makes the loss read lower: the number "
        "moved, not the model. Only counting the answer tokens that carry the ignore index, or "
        "measuring the loss over every real answer token, shows that the mask is wrong. (A source "
        "report says exact match also drops; the lab does not declare it: see its target-masking page.)",
    steps=1500,
    half_trained="Packed blocks put every example at any offset, where a small model with learned positions "
                 "learns addition later than on one example per row: within these 1500 steps its control "
                 "reaches the bar late, on most seeds after the two thirds the competence rule asks for, "
                 "and on some not at all. The symptoms are in the data and in the loss, and they show long "
                 "before the model is competent.",
    seen_in="Packed fine-tuning pipelines that concatenate examples, cut fixed blocks, and only then "
            "derive the completion-only mask from the block's tokens (looking for the response "
            "template inside each block) instead of carrying each example's mask through packing.",
)
