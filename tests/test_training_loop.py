"""Training-loop parts proven by equivalence: accumulated against full-batch gradient, packed documents against
one example per row, labels in the collator's convention against the lab's targets."""
import dataclasses

import torch

from minimodel import seams
from minimodel.data import PackedDocumentBatches, RowBatches, in_collator_convention
from minimodel.metrics import packing_change, two_ahead_share
from minimodel.model import GPT, preset
from minimodel.recipes import get_recipe
from minimodel.tasks import make_task
from minimodel.train import accumulation_gap

TASK = make_task("addition", seed=0)


def _model(block_size=32):
    torch.manual_seed(0)
    return GPT(preset("small", vocab_size=TASK.tokenizer.vocab_size, block_size=block_size)).eval()


def _rows(loss_on="answer"):
    return RowBatches(TASK, TASK.train[:512], 12, 64, loss_on, seed=0).fixed_batches(1)[0]


def test_healthy_accumulation_gives_the_full_batch_gradient():
    for k in (2, 4, 8):
        assert accumulation_gap(_model(12), _rows(), k) < 1e-5


def test_micro_batch_means_over_k_weigh_short_answers_more():
    with seams.replaced({"accumulation_divisor": lambda micro_count, batch_count, micro_batches:
                         micro_count * micro_batches}, "test"):
        assert accumulation_gap(_model(12), _rows(), 4) > 1e-3


def test_packed_documents_give_each_example_its_logits_alone():
    assert packing_change(_model(), TASK, TASK.val[:6], [TASK.tokenizer.bos_id]) < 1e-4
    batch = PackedDocumentBatches(TASK, TASK.train[:64], 32, 4, "all").fixed_batches(1)[0]
    starts = [t for t in range(1, 32) if batch.position_ids[0, t] == 0]  # examples after the row's first
    assert starts and batch.position_ids.max() < 12  # positions start again with every example
    assert not any(batch.attention_mask[0, t, t - 1] for t in starts)  # and never see the example before


def test_packing_without_boundaries_changes_the_logits():
    def everything(document_ids):
        return torch.ones(*document_ids.shape, document_ids.shape[1], dtype=torch.bool)

    with seams.replaced({"document_mask": everything}, "test"):
        assert packing_change(_model(), TASK, TASK.val[:6], [TASK.tokenizer.bos_id]) > 1e-2


def test_collator_labels_shifted_by_the_loss_are_the_lab_targets():
    batch = _rows("all")
    collated = in_collator_convention(batch)
    assert torch.equal(collated.y[:, :-1], batch.y[:, :-1])  # only the last position, never supervised here, differs
    model = _model(12)
    assert torch.allclose(collated.forward(model, targets=True)[1], batch.forward(model, targets=True)[1])
    assert two_ahead_share([collated]) == 0.0


def test_labels_shifted_twice_point_two_tokens_ahead():
    def pre_shifted(inputs, supervised):
        shifted = torch.nn.functional.pad(inputs[:, 1:], (0, 1), value=seams.IGNORE_INDEX)
        return shifted.masked_fill(~supervised, seams.IGNORE_INDEX)

    with seams.replaced({"collator_labels": pre_shifted}, "test"):
        collated = in_collator_convention(_rows("all"))
    assert two_ahead_share([collated]) == 1.0


def test_existing_recipes_run_the_unaccumulated_path():
    assert all(get_recipe(n).micro_batches == 1 for n in ("rows-all", "rows-answer", "padded-rows"))
    # rows-accumulated is rows-all (the shared rows setting over 2100 steps), its batch in 4 micro-batches,
    # and nothing else
    assert dataclasses.replace(get_recipe("rows-accumulated"), micro_batches=1) == get_recipe("rows-all")
