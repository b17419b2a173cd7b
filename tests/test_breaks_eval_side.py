"""The data- and evaluation-side seams and probes (b12-b17), checked without training."""
from types import SimpleNamespace

import torch

from minimodel.breaks.b12_no_target_mask import completion_mask as keep_every_target
from minimodel.breaks.b13_pad_is_eos import pad_token_id as pad_with_eos
from minimodel.breaks.b14_no_separator import format_example as without_separator
from minimodel.breaks.b17_wrong_position import pick_next_token as second_to_last
from minimodel import seams
from minimodel.data import RowBatches
from minimodel.detectors import DETECTORS
from minimodel.evaluate import ambiguous_prompt_share, ar_eval, first_token_agreement
from minimodel.metrics import off_answer_share
from minimodel.seams import IGNORE_INDEX
from minimodel.tasks import make_task

TASK = make_task("addition", seed=0)


class Oracle(torch.nn.Module):
    """A stand-in model that knows every example: at each position it predicts the true next token."""

    def __init__(self, task, prefix, emit_stop=True):
        super().__init__()
        self.cfg = SimpleNamespace(block_size=32)
        self.V, self.emit_stop, self.eos = task.tokenizer.vocab_size, emit_stop, task.tokenizer.eos_id
        tok = task.tokenizer
        self.texts = [prefix + seams.format_example(tok.encode(ex.prompt), tok.encode(ex.answer), tok.sep_id,
                                                    tok.eos_id) for ex in task.val]

    def forward(self, seq):
        logits = torch.zeros(*seq.shape, self.V)  # (B, T, V)
        for b, row in enumerate(seq.tolist()):
            text = max(self.texts, key=lambda t: _common_prefix(t, row))  # the example this row is
            for t in range(len(row)):
                nxt = text[t + 1] if t + 1 < len(text) else self.eos
                if nxt == self.eos and not self.emit_stop:
                    nxt = text[-2]  # never says stop: repeats the answer's last digit instead
                logits[b, t, nxt] = 1.0
        return logits, None


def _common_prefix(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def test_no_target_mask_supervises_the_prompt():
    data = RowBatches(TASK, TASK.train[:200], 12, 64, loss_on="answer", seed=0)
    assert off_answer_share(data.fixed_batches(2)) == 0.0
    with seams.replaced({"completion_mask": keep_every_target}):
        broken = RowBatches(TASK, TASK.train[:200], 12, 64, loss_on="answer", seed=0).fixed_batches(2)
    assert 0.5 < off_answer_share(broken) < 0.8  # '07+45=' beside the answer and its stop


def test_pad_equal_to_eos_removes_every_stop_target():
    rows = RowBatches(TASK, TASK.train[:64], 16, 64, loss_on="answer").batch_at(torch.arange(64))
    assert int((rows.y == TASK.tokenizer.eos_id).sum()) == 64  # one stop target per example
    with seams.replaced({"pad_token_id": pad_with_eos}):
        broken = RowBatches(TASK, TASK.train[:64], 16, 64, loss_on="answer").batch_at(torch.arange(64))
    assert int((broken.y == TASK.tokenizer.eos_id).sum()) == 0
    assert int((broken.y != IGNORE_INDEX).sum()) == int((rows.y != IGNORE_INDEX).sum()) - 64


def test_a_model_that_never_stops_is_right_but_unfinished():
    prefix = [TASK.tokenizer.bos_id]
    good = ar_eval(Oracle(TASK, prefix), TASK, TASK.val[:40], prefix, n_samples=2)
    assert good["exact_match"] == 1.0 and good["stop_rate"] == 1.0 and good["right_but_no_stop"] == 0.0
    rambling = ar_eval(Oracle(TASK, prefix, emit_stop=False), TASK, TASK.val[:40], prefix, n_samples=2)
    assert rambling["exact_match"] == 0.0 and rambling["stop_rate"] == 0.0
    assert rambling["right_but_no_stop"] == 1.0
    assert DETECTORS["right_but_no_stop"]({"ar": rambling}).fired
    assert not DETECTORS["right_but_no_stop"]({"ar": good}).fired


def test_a_budget_without_the_stop_cuts_only_the_longest_answers():
    prefix = [TASK.tokenizer.bos_id]
    examples = TASK.val[:60]
    assert {len(ex.answer) for ex in examples} >= {2, 3}
    with seams.replaced({"generation_budget": lambda longest_answer: longest_answer}):
        cut = ar_eval(Oracle(TASK, prefix), TASK, examples, prefix, n_samples=0)
    assert cut["exact_by_answer_length"][3] == 0.0 and cut["exact_by_answer_length"][2] == 1.0
    stops = cut["stop_rate_by_answer_length"]
    assert stops[3] == 0.0 and all(v == 1.0 for n, v in stops.items() if n < 3)
    assert DETECTORS["long_answers_unfinished"]({"ar": cut}).value == 1.0
    full = ar_eval(Oracle(TASK, prefix), TASK, examples, prefix, n_samples=0)
    assert DETECTORS["long_answers_unfinished"]({"ar": full}).value == 0.0


def test_only_unpadded_operands_without_a_separator_are_ambiguous():
    unpadded = make_task("unpadded-addition", seed=0)
    assert ambiguous_prompt_share(TASK, TASK.val[:200]) == 0.0
    assert ambiguous_prompt_share(unpadded, unpadded.val[:200]) == 0.0
    with seams.replaced({"format_example": without_separator}):
        assert ambiguous_prompt_share(TASK, TASK.val[:200]) == 0.0  # every prompt is 5 tokens long
        assert ambiguous_prompt_share(unpadded, unpadded.val[:200]) > 0.1  # `5+6` also begins `5+61`


def test_generation_must_start_with_the_forward_pass_argmax():
    prefix = [TASK.tokenizer.bos_id]
    model = Oracle(TASK, prefix)
    assert first_token_agreement(model, TASK, TASK.val[:30], prefix) == 1.0
    with seams.replaced({"pick_next_token": second_to_last}):
        assert first_token_agreement(model, TASK, TASK.val[:30], prefix) == 0.0  # it predicts '=' again


def test_headline_accuracy_is_generation_and_the_detector_recomputes_it():
    assert seams.headline_accuracy(0.7, 0.1) == 0.1
    inflated = {"accuracy": 0.7, "ar": {"exact_match": 0.1}}
    assert DETECTORS["headline_inflated"](inflated).fired
    assert not DETECTORS["headline_inflated"]({"accuracy": 0.1, "ar": {"exact_match": 0.1}}).fired
