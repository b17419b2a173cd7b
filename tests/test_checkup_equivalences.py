"""checkup's equivalences on a learner's own model, written here: each quiet when healthy, each fired by one mistake."""
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel import checkup, seams
from minimodel.checkup import CheckupError
from minimodel.model import GPT, preset

V, T_MAX = 24, 32


class KeywordLM(nn.Module):
    """A one-block causal LM whose forward takes Hugging Face's keywords. Each flag plants one mistake."""

    def __init__(self, mask_padding=True, restart_documents=True, batch_mean=False, dropout=0.0, C=32):
        super().__init__()
        torch.manual_seed(0)
        self.tok, self.pos = nn.Embedding(V, C), nn.Embedding(T_MAX, C)
        self.qkv, self.proj, self.head = nn.Linear(C, 3 * C), nn.Linear(C, C), nn.Linear(C, V)
        self.mask_padding, self.restart_documents = mask_padding, restart_documents
        self.batch_mean, self.dropout = batch_mean, dropout

    def forward(self, input_ids, attention_mask=None, position_ids=None, labels=None):
        B, T = input_ids.shape
        pos = torch.arange(T).expand(B, T) if position_ids is None else position_ids  # (B, T)
        x = self.tok(input_ids) + self.pos(pos)  # (B, T, C)
        if self.batch_mean:
            x = x - x.mean(dim=0)  # a normalisation over the batch axis
        allowed = torch.ones(T, T, dtype=torch.bool).tril().expand(B, T, T)  # (B, T, T)
        if attention_mask is not None and self.mask_padding:
            allowed = allowed & attention_mask.bool()[:, None, :]
        if position_ids is not None and attention_mask is None and self.restart_documents:  # padding-free packing
            doc = (position_ids == 0).cumsum(-1)  # (B, T) a new example wherever positions restart
            allowed = allowed & (doc[:, :, None] == doc[:, None, :])
        allowed = allowed | torch.eye(T, dtype=torch.bool)  # a padding query keeps its own key: no NaN
        q, k, v = (t.view(B, T, 4, -1).transpose(1, 2) for t in self.qkv(x).chunk(3, dim=-1))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed[:, None])  # (B, 4, T, hs)
        y = F.dropout(y, self.dropout)  # F.dropout's training=True is the default
        return self.head(x + self.proj(y.transpose(1, 2).reshape(B, T, -1)))  # (B, T, V)


def _loss(shift=True, per_batch_mean=True):
    """A learner's loss_fn(logits, labels): aligned labels, shifted here (or not: a mistake), each micro-batch's own
    mean (the mistake transformers fixed in 2024), or the sum over the whole batch's count."""
    def summed(logits, labels):
        if shift:
            logits, labels = logits[:, :-1], labels[:, 1:]
        return F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), reduction="sum"), (labels != -100).sum()

    def mean(logits, labels):
        total, count = summed(logits, labels)
        return total / count

    def counted(logits, labels, num_items_in_batch=None):
        total, count = summed(logits, labels)
        return total / (count if num_items_in_batch is None else num_items_in_batch)
    return mean if per_batch_mean else counted


def _adam(lr=1e-3):
    return lambda model: torch.optim.Adam(model.parameters(), lr=lr)


def test_a_healthy_keyword_model_is_quiet_on_every_check():
    model = KeywordLM()
    report = checkup.model(model, V, seq_len=16, loss_fn=_loss(per_batch_mean=False), optimizer=_adam())
    assert report.fired == [], report.text()
    skipped = {f.name for f in report.findings if f.value is None}
    assert skipped == {"first_leaky_block", "cached_logits_differ"}, report.text()  # no blocks, no cache
    assert report["cannot_overfit"].value < 300 and report["overfit_not_recalled"].value == 0
    assert "called through Hugging Face keywords" in report.notes[2]


@pytest.mark.parametrize("mistake, fires", [
    (dict(mask_padding=False), "padded_logits_differ"),
    (dict(restart_documents=False), "packed_logits_differ"),
    (dict(batch_mean=True), "batched_logits_differ"),
])
def test_each_mistake_fires_its_own_equivalence_only(mistake, fires):
    report = checkup.model(KeywordLM(**mistake), V, seq_len=16, checks=["left_padding", "batching", "packing"])
    assert {f.name for f in report.fired} == {fires}, report.text()
    assert report[fires].value > 1e-2 and "likely cause" in report[fires].summary


def test_dropout_in_eval_mode_fires_determinism_and_skips_every_comparison():
    report = checkup.model(KeywordLM(dropout=0.1), V, seq_len=16)
    assert [f.name for f in report.fired] == ["evaluations_disagree"], report.text()
    assert "F.dropout without self.training" in report["evaluations_disagree"].summary
    assert report["leak_test"].value == 0.0  # a gradient is exact whatever the noise
    for name in ("prefix_moves", "padded_logits_differ", "batched_logits_differ", "packed_logits_differ"):
        assert report[name].value is None and "evaluations_disagree fired" in report[name].summary


def test_accumulation_needs_the_whole_batch_count():
    model = KeywordLM()
    mean = checkup.model(model, V, seq_len=16, checks="accumulation", loss_fn=_loss(per_batch_mean=True))
    assert mean["accumulation_differs"].fired and mean["accumulation_differs"].value > 0.01
    assert "num_items_in_batch" in mean["accumulation_differs"].summary
    counted = checkup.model(model, V, seq_len=16, checks="accumulation", loss_fn=_loss(per_batch_mean=False))
    assert not counted["accumulation_differs"].fired and counted["accumulation_differs"].value < 1e-5


def test_overfit_fires_on_a_frozen_optimiser_and_on_targets_that_are_the_inputs():
    model = KeywordLM()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    frozen = checkup.model(model, V, seq_len=16, checks="overfit", loss_fn=_loss(), optimizer=_adam(lr=0.0))
    assert frozen["cannot_overfit"].fired and frozen["cannot_overfit"].value == 301
    unshifted = checkup.model(model, V, seq_len=16, checks="overfit", loss_fn=_loss(shift=False), optimizer=_adam())
    assert not unshifted["cannot_overfit"].fired  # copying the input is easy to learn
    assert unshifted["overfit_not_recalled"].fired and unshifted["overfit_not_recalled"].value > 0.5
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # trained a copy


def test_checks_a_model_cannot_take_are_skipped_with_the_reason():
    model = KeywordLM()
    report = checkup.model(lambda idx: model(idx), V, seq_len=16)
    reasons = {f.name: f.summary for f in report.findings if f.value is None}
    assert set(reasons) == {"leak_test", "first_leaky_block", "padded_logits_differ", "cached_logits_differ",
                            "packed_logits_differ", "accumulation_differs", "cannot_overfit", "overfit_not_recalled"}
    assert "no attention_mask" in reasons["padded_logits_differ"]
    assert "no KV cache" in reasons["cached_logits_differ"]
    assert "pass loss_fn" in reasons["accumulation_differs"] or "nn.Module" in reasons["accumulation_differs"]
    assert "pass optimizer" in reasons["cannot_overfit"]
    assert not report.fired and "skip   padded_logits_differ" in report.text()  # never printed as quiet
    assert "no cache" in checkup.model(model, V, seq_len=16, checks="cache")["cached_logits_differ"].summary


def test_the_labs_gpt_takes_every_check_with_its_own_defaults():
    model = GPT(preset("small", vocab_size=16, dropout=0.1))
    report = checkup.model(model, 16, seq_len=16)
    assert report.fired == [] and not [f for f in report.findings if f.value is None], report.text()
    with seams.replaced({"cache_slot": lambda past_length: max(past_length - 1, 0)}, "test"):
        broken = checkup.model(model, 16, seq_len=16, checks=["cache", "left_padding"])
    assert [f.name for f in broken.fired] == ["cached_logits_differ"]
    assert model.training  # given back in its own mode


def test_unknown_check_names_are_one_line_errors():
    with pytest.raises(CheckupError, match="unknown check.*'nope'.*checks are: leak, prefix, init_loss, left_padding"):
        checkup.model(KeywordLM(), V, checks=["cache", "nope"])


def test_the_checkup_page_has_a_worked_example_of_every_finding():
    from pathlib import Path

    from minimodel.checkup import batch_checks, generation_checks
    from minimodel.checkup.model_checks import CHECKS
    from minimodel.detectors import Detector

    page = (Path(__file__).resolve().parents[1] / "docs" / "checkup.md").read_text()
    names = [d.name for c in CHECKS.values() for d in c.detectors]
    names += [d.name for module in (batch_checks, generation_checks) for d in vars(module).values()
              if isinstance(d, Detector)]
    assert [n for n in names if f"\n| `{n}` |" not in page] == []
