"""Serving parts proven by equivalence, as transformers' own tests prove theirs: left-padded against unpadded,
cached against uncached, batched against one prompt at a time, two evaluations against each other."""
import torch

from minimodel import seams
from minimodel.detectors import DETECTORS
from minimodel.evaluate import generate, prompt_prefix
from minimodel.metrics import cache_change
from minimodel.model import GPT, preset
from minimodel.serve import continued, left_pad, serve
from minimodel.tasks import make_task

V, EOS, PAD = 16, 15, 0
PROMPTS = [[1, 5, 6, 7, 8, 9, 3], [1, 4, 5], [1, 9, 9, 3, 4], [1, 2]]  # lengths 7, 3, 5, 2


def _model(dropout=0.0):
    torch.manual_seed(0)
    model = GPT(preset("small", vocab_size=V, block_size=16, dropout=dropout)).eval()
    with torch.no_grad():  # sharper logits than at init: greedy choices far from ties
        for p in model.parameters():
            p.mul_(20)
    return model


def test_left_padded_rows_give_each_prompt_its_logits_alone():
    model = _model()
    idx, mask = left_pad(PROMPTS, PAD)
    padded, _ = model(idx, attention_mask=mask, position_ids=seams.position_ids(mask))  # (B, L, V)
    for row, prompt in enumerate(PROMPTS):
        alone, _ = model(torch.tensor([prompt]))
        assert torch.allclose(padded[row, -len(prompt):], alone[0], atol=1e-4, rtol=1e-4), row


def test_a_padding_query_with_no_real_key_is_finite():
    """Left padding leaves the first query of a padded row nothing real to look at: no NaN anywhere."""
    model = _model()
    idx, mask = left_pad(PROMPTS, PAD)
    logits, _ = model(idx, attention_mask=mask, position_ids=seams.position_ids(mask))
    assert torch.isfinite(logits).all()


def test_cached_steps_give_the_full_forward_logits():
    model = _model()
    idx = torch.tensor([PROMPTS[0]])
    full, _ = model(idx)  # (1, 7, V)
    cache = model.new_cache(1)
    prefill, _ = model(idx[:, :4], cache=cache)  # 4 tokens written
    steps = [model(idx[:, t:t + 1], cache=cache)[0] for t in range(4, 7)]  # one token at a time
    assert cache.length == 7
    assert torch.allclose(torch.cat([prefill] + steps, dim=1), full, atol=1e-4, rtol=1e-4)
    assert torch.equal(continued(model, idx, 4), torch.cat([prefill] + steps, dim=1))


def test_the_cache_equivalence_reads_rounding_healthy_and_fires_with_the_slot_one_early():
    """The lab's `cached_logits_differ` on held-out sums, on a random model: no training needed to see it."""
    task = make_task("addition", seed=0)
    torch.manual_seed(0)
    model = GPT(preset("small", vocab_size=task.tokenizer.vocab_size, block_size=12)).eval()
    prefix = prompt_prefix(task, "rows")
    detector = DETECTORS["cached_logits_differ"]
    healthy = cache_change(model, task, task.val[:8], prefix)
    with seams.replaced({"cache_slot": lambda past_length: max(past_length - 1, 0)}, "test"):
        broken = cache_change(model, task, task.val[:8], prefix)
    assert healthy < 1e-5 and not detector({"cache_change": healthy}).fired
    assert broken > 1e-2 and detector({"cache_change": broken}).fired


def test_a_cache_that_raises_leaves_the_cache_equivalence_unmeasured():
    """A learner's cache slot that raises: serving reports the error, and the logits equivalence reads nothing."""
    task = make_task("addition", seed=0)
    model = GPT(preset("small", vocab_size=task.tokenizer.vocab_size, block_size=12)).eval()

    def raises(past_length: int) -> int:
        raise IndexError("no such slot")
    with seams.replaced({"cache_slot": raises}, "test"):
        value = cache_change(model, task, task.val[:2], prompt_prefix(task, "rows"))
    assert value is None
    assert not DETECTORS["cached_logits_differ"]({"cache_change": value}).fired


def test_cached_uncached_batched_and_alone_generation_give_the_same_tokens():
    model = _model()
    cached = serve(model, PROMPTS, 6, EOS, PAD)
    uncached = serve(model, PROMPTS, 6, EOS, PAD, use_cache=False)
    alone = generate(model, PROMPTS, 6, EOS)  # no padding, no cache
    assert cached == uncached == alone
    assert [serve(model, [p], 6, EOS, PAD) for p in PROMPTS] == [[c] for c in cached]


def test_a_cache_slot_one_early_keeps_the_first_token_and_loses_the_rest():
    model = _model()
    healthy = serve(model, PROMPTS, 6, EOS, PAD)
    with seams.replaced({"cache_slot": lambda past_length: max(past_length - 1, 0)}, "test"):
        broken = serve(model, PROMPTS, 6, EOS, PAD)
        uncached = serve(model, PROMPTS, 6, EOS, PAD, use_cache=False)
    assert [b[:1] for b in broken] == [h[:1] for h in healthy]  # the prefill is right
    assert broken != healthy and uncached == healthy


def test_positions_over_the_padding_change_every_shorter_prompt():
    model = _model()
    healthy = serve(model, PROMPTS, 6, EOS, PAD, use_cache=False)

    def columns(attention_mask):
        return torch.arange(attention_mask.shape[1]).expand_as(attention_mask)

    with seams.replaced({"position_ids": columns}, "test"):
        broken = serve(model, PROMPTS, 6, EOS, PAD, use_cache=False)
    assert broken[0] == healthy[0]  # the longest prompt has no padding
    assert sum(b != h for b, h in zip(broken[1:], healthy[1:])) >= 2


def test_evaluation_is_deterministic_in_eval_mode_even_with_dropout():
    model = _model(dropout=0.3)
    idx = torch.tensor([PROMPTS[0]])
    assert torch.equal(model(idx)[0], model(idx)[0])
    model.train()
    assert not torch.equal(model(idx)[0], model(idx)[0])
