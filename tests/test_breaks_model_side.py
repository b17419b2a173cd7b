"""Model-side breaks on a tiny untrained model, the new detectors, and the contracts of the other kinds."""
import dataclasses

import torch

from minimodel import seams
from minimodel.catalogue import find_break
from minimodel.harness.checker import contract_problems
from minimodel.data import RowBatches
from minimodel.metrics import attention_row_error
from minimodel.model import GPT, preset
from minimodel.probes import future_attention_mass, leak_gradient, record_attention
from minimodel.seams import IGNORE_INDEX
from minimodel.tasks import SENTENCE, make_task


def _tiny():
    torch.manual_seed(0)
    return GPT(preset("tiny", vocab_size=16)).eval()


def _attention(model, replaces):
    idx = torch.randint(16, (2, 16))
    with seams.replaced(replaces):
        with record_attention(model) as weights:
            model(idx)
        leak = leak_gradient(model, idx)
    return weights, leak


def test_healthy_rows_are_distributions_and_nothing_leaks():
    weights, leak = _attention(_tiny(), {})
    assert attention_row_error(weights) < 1e-6
    assert future_attention_mass(weights) == 0.0 and leak == 0.0


def test_zero_fill_leaves_weight_on_the_future():
    weights, leak = _attention(_tiny(), find_break("mask-zero-fill").replaces)
    assert future_attention_mass(weights) > 0.1  # untrained scores are near 0, like the filled ones
    assert leak > 1e-3


def test_off_by_one_mask_is_a_band_one_step_ahead():
    weights, leak = _attention(_tiny(), find_break("mask-off-by-one").replaces)
    w = weights[0][0, 0]  # (T, T) one head
    T = w.shape[-1]
    assert (w.diagonal(1) > 0).all()  # query i reads key i + 1
    assert w.masked_select(torch.ones(T, T, dtype=torch.bool).triu(2)).eq(0).all()  # and nothing further
    assert leak > 1e-3
    assert future_attention_mass(weights) > 0.1 and future_attention_mass(weights, ahead=2) == 0.0


def test_a_missing_mask_reaches_beyond_the_next_key():
    """What tells no mask from an off-by-one mask: attention two or more keys ahead."""
    weights, _ = _attention(_tiny(), find_break("no-mask").replaces)
    assert future_attention_mass(weights, ahead=2) > 0.1
    healthy, _ = _attention(_tiny(), {})
    assert future_attention_mass(healthy, ahead=2) == 0.0


def test_wrong_axis_softmax_looks_causal_but_rows_do_not_sum_to_one():
    weights, leak = _attention(_tiny(), find_break("softmax-wrong-axis").replaces)
    assert future_attention_mass(weights) == 0.0  # the upper triangle is exactly empty
    assert attention_row_error(weights) > 0.1
    assert torch.allclose(weights[0].sum(-2), torch.ones(16))  # the columns are what sums to one
    assert leak > 1e-6


def test_heads_without_transpose_look_healthy_but_leak():
    weights, leak = _attention(_tiny(), find_break("heads-no-transpose").replaces)
    assert future_attention_mass(weights) == 0.0 and attention_row_error(weights) < 1e-6
    assert leak > 1e-3


def test_unshifted_targets_are_the_inputs_while_next_tokens_stay_true():
    task = make_task("memorise")
    with seams.replaced(find_break("targets-not-shifted").replaces):
        b = RowBatches(task, task.train, 24, 2, loss_on="all").batch_at(torch.tensor([0]))
    assert torch.equal(b.y[:, 1:], b.x[:, 1:]) and b.y[0, 0] == IGNORE_INDEX  # BOS: a special target
    assert task.tokenizer.decode(b.next_tokens[0]) == SENTENCE + "\n"


def test_memorise_task_is_one_row_from_bos():
    task = make_task("memorise")
    rows = RowBatches(task, task.train, 24, 1, loss_on="all").rows
    assert rows.shape == (1, 25) and rows[0, 0] == task.tokenizer.bos_id
    assert task.tokenizer.decode(rows[0, 1:]) == SENTENCE + "\n"
    assert [p for p, _ in task.recall] == ["", "I", "I l"]


def test_no_effect_contract_fails_when_the_change_does_hurt():
    """The no-effect check is real: a replacement that wipes the input must break its contract."""
    def add_positions(tok_emb: torch.Tensor, pos_emb: torch.Tensor) -> torch.Tensor:
        return 0 * (tok_emb + pos_emb)  # nothing of the input reaches the model

    harmful = dataclasses.replace(find_break("no-positions"), replaces={"add_positions": add_positions})
    problems = contract_problems(harmful, seed=0)
    assert any("not_memorised" in p for p in problems), problems


def test_sanity_checks_fail_for_a_model_that_did_not_train():
    untrained = dataclasses.replace(find_break("memorise-sentence"), steps=2)
    problems = contract_problems(untrained, seed=0)
    assert any("the check not_memorised failed" in p for p in problems), problems
