"""checkup on plain PyTorch models written here (the lab's breaks as modules), batches and generation budgets."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel import checkup
from minimodel.checkup import CheckupError, CheckupFailed
from minimodel.model import GPT, preset

V, T_MAX = 24, 32


class Attention(nn.Module):
    """Healthy causal self-attention, written out; the broken twins below override one method each."""

    def __init__(self, C: int, n_head: int):
        super().__init__()
        self.qkv, self.proj, self.n_head = nn.Linear(C, 3 * C), nn.Linear(C, C), n_head

    def split(self, x):
        B, T, C = x.shape
        return x.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)

    def mask(self, T):
        return torch.ones(T, T, dtype=torch.bool).tril()  # (T, T) True where a query may look

    def softmax(self, att):
        return att.softmax(dim=-1)  # over the keys

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = (self.split(t) for t in self.qkv(x).split(C, dim=2))  # 3 x (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (B, nh, T, T)
        att = self.softmax(att.masked_fill(~self.mask(T), float("-inf")))
        return self.proj((att @ v).transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class NoMask(Attention):
    def mask(self, T):
        return torch.ones(T, T, dtype=torch.bool)  # the future is visible


class SoftmaxWrongAxis(Attention):
    def softmax(self, att):
        return att.softmax(dim=-2)  # over the queries: later queries change earlier weights


class HeadsNoTranspose(Attention):
    def split(self, x):
        B, T, C = x.shape
        return x.reshape(B, self.n_head, T, C // self.n_head)  # a "head" spans several positions


class Block(nn.Module):
    def __init__(self, attn: type, C: int):
        super().__init__()
        self.ln_1, self.ln_2, self.attn = nn.LayerNorm(C), nn.LayerNorm(C), attn(C, 4)
        self.mlp = nn.Sequential(nn.Linear(C, 4 * C), nn.GELU(), nn.Linear(4 * C, C))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TinyLM(nn.Module):
    """A learner's own tiny GPT: `attn` picks the attention; `broken_layer` puts it in one layer only."""

    def __init__(self, attn: type = Attention, n_layer: int = 2, C: int = 32, broken_layer: int | None = None):
        super().__init__()
        torch.manual_seed(0)
        self.tok, self.pos = nn.Embedding(V, C), nn.Embedding(T_MAX, C)
        self.blocks = nn.ModuleList(Block(attn if broken_layer in (None, i) else Attention, C)
                                    for i in range(n_layer))
        self.ln_f, self.head = nn.LayerNorm(C), nn.Linear(C, V, bias=False)
        nn.init.normal_(self.head.weight, std=0.02)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))  # (B, T, C)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))  # (B, T, V)


def test_healthy_model_is_quiet_and_its_leak_is_exactly_zero():
    report = checkup.model(TinyLM(), V)
    assert report.fired == [], report.text()
    assert report["leak_test"].value == 0.0 and report["prefix_moves"].value == 0.0
    assert report["init_loss_off"].value < 0.05  # an untrained model guesses: loss near ln V
    assert report.raise_on_fired() is report


@pytest.mark.parametrize("attn", [NoMask, SoftmaxWrongAxis, HeadsNoTranspose])
def test_each_attention_break_leaks_on_both_tests(attn):
    report = checkup.model(TinyLM(attn), V)
    assert report["leak_test"].fired and report["leak_test"].value > 1e-3
    assert report["prefix_moves"].fired
    assert "likely cause" in report["leak_test"].summary
    with pytest.raises(CheckupFailed, match="leak_test"):
        report.raise_on_fired()


def test_first_leaky_block_names_the_broken_layer():
    report = checkup.model(TinyLM(NoMask, n_layer=3, broken_layer=1), V)
    assert report["first_leaky_block"].fired
    assert "blocks.1 (block 2 of 3)" in report["first_leaky_block"].summary
    assert not checkup.model(TinyLM(), V)["first_leaky_block"].fired


def test_the_labs_gpt_tuple_output_and_probe_point_are_found():
    model = GPT(preset("small", vocab_size=16))
    report = checkup.model(model, 16, seq_len=16)
    assert report.fired == [] and report["leak_test"].value == 0.0
    assert "embedding: hook_embed; blocks: h (2)" in report.notes[1]
    assert model.training  # the model's mode comes back after the checkup


def test_prefix_test_works_without_gradients_and_a_callable_without_embedding():
    model = TinyLM(NoMask)

    def inference_only(idx):
        with torch.inference_mode():
            return model(idx)

    report = checkup.model(inference_only, V)
    assert report["leak_test"].value is None and "prefix_moves tests" in report["leak_test"].summary
    assert report["prefix_moves"].fired
    report = checkup.model(inference_only, V, embedding=model.tok)  # found, but no gradient flows
    assert report["leak_test"].value is None and "no gradient" in report["leak_test"].summary
    assert checkup.model(lambda idx: model(idx), V, embedding=model.tok)["leak_test"].fired


def test_hugging_face_style_outputs_are_unwrapped():
    class Out:
        def __init__(self, logits):
            self.logits = logits

    model = TinyLM()
    assert checkup.model(lambda idx: Out(model(idx)), V, embedding=model.tok).fired == []
    assert checkup.model(lambda idx: (model(idx), None), V).fired == []


def test_loss_at_init_fires_on_an_overconfident_head_and_is_skipped_when_trained():
    model = TinyLM()
    nn.init.normal_(model.head.weight, std=3.0)  # confidently wrong before any training
    report = checkup.model(model, V)
    assert report["init_loss_off"].fired and "meaningful only on an untrained model" in report["init_loss_off"].summary
    skipped = checkup.model(model, V, trained=True)["init_loss_off"]
    assert not skipped.fired and skipped.value is None


def test_bad_models_get_one_line_errors():
    model = TinyLM()
    with pytest.raises(CheckupError, match="last position only .* pass a callable that returns every position"):
        checkup.model(lambda idx: model(idx)[:, -1], V)
    with pytest.raises(CheckupError, match="last position only"):
        checkup.model(lambda idx: model(idx)[:, -1:], V)
    with pytest.raises(CheckupError, match="have 24 entries per position but vocab_size is 20"):
        checkup.model(model, 20)
    with pytest.raises(CheckupError, match=r"expected logits of shape \(B, T, V\)"):
        checkup.model(lambda idx: model(idx).transpose(0, 1), V)
    with pytest.raises(CheckupError, match="the model returned str"):
        checkup.model(lambda idx: "logits", V)
    with pytest.raises(CheckupError, match="expected an nn.Module or a callable"):
        checkup.model(42, V)


# ---------------------------------------------------------------------------------------------------------------
# Batches. Tokens: 0 PAD, 1 EOS, 2 BOS, 3.. text. Two rows: prompt (3 tokens) + answer (2 tokens) + EOS, padded.

PAD, EOS, BOS = 0, 1, 2
ROWS = [[BOS, 5, 6, 7, 8, EOS, PAD, PAD], [BOS, 9, 10, 11, 12, 13, 14, EOS]]
PROMPTS = [3, 4]  # BOS + prompt tokens, from the first real token


def _batch(labels_from="answer", shifted=False, pad_id=PAD, rows=ROWS):
    """A collator's batch; `labels_from` plants one mistake ("answer" is the correct completion-only batch)."""
    ids = torch.tensor(rows).masked_fill(torch.tensor(rows) == PAD, pad_id)  # (B, T)
    mask = (torch.tensor(rows) != PAD).long()  # padding found by attention mask
    pos = torch.arange(ids.shape[1])
    answer = mask.bool() & (pos[None, :] >= torch.tensor(PROMPTS)[:, None])  # answer tokens and EOS
    if labels_from == "answer":
        labels = ids.masked_fill(~answer, -100)
    elif labels_from == "everything":  # no completion mask, padding copied too
        labels = ids.clone()
    elif labels_from == "pad_id":  # mask by id: with PAD == EOS this masks every EOS
        labels = ids.masked_fill(ids == pad_id, -100)
    if shifted:
        labels = torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], -100)], dim=1)  # labels[t] = ids[t + 1]
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def test_a_correct_completion_only_batch_is_quiet_in_both_conventions():
    for shifted in (False, True):
        report = checkup.batch(_batch(shifted=shifted), eos_id=EOS, pad_id=PAD, prompt_lengths=PROMPTS,
                               special_ids=[BOS])
        assert report.fired == [], report.text()
        assert ("already shifted" in report.notes[0]) == shifted  # detected, not declared
        assert report["eos_never_supervised"].value == 2 and report["rows_truncated"].value == 0


def test_everything_supervised_fires_padding_special_and_prompt():
    report = checkup.batch(_batch("everything"), eos_id=EOS, pad_id=PAD, prompt_lengths=PROMPTS, special_ids=[BOS])
    fired = {f.name for f in report.fired}
    assert fired == {"padding_supervised", "special_supervised", "prompt_supervised"}, report.text()
    assert report["padding_supervised"].value == 1.0
    assert report["prompt_supervised"].value == pytest.approx(1.0)  # every prompt token after the first


def test_pad_equal_to_eos_masks_every_eos():
    batch = _batch("pad_id", pad_id=EOS)
    report = checkup.batch(batch, eos_id=EOS, pad_id=EOS)
    assert report["eos_never_supervised"].fired and report["eos_never_supervised"].value == 0
    assert "PAD equals EOS" in report["eos_never_supervised"].summary
    ok = checkup.batch(_batch("answer", pad_id=EOS), eos_id=EOS, pad_id=EOS)
    assert not ok["eos_never_supervised"].fired  # PAD == EOS is fine when the real EOS stays a target


def test_truncation_leaves_a_row_without_targets_and_without_eos():
    batch = {k: v[:, :4] for k, v in _batch().items()}  # max_length 4: row 1 keeps only its prompt
    report = checkup.batch(batch, eos_id=EOS, pad_id=PAD)
    assert report["rows_without_targets"].fired and report["rows_without_targets"].value == 0.5
    assert "rows [1]" in report["rows_without_targets"].summary
    assert report["rows_truncated"].value == 1.0  # neither row keeps its EOS


def test_double_shift_fires_when_declared_aligned_or_shifted_twice():
    once = _batch(shifted=True)
    assert checkup.batch(once, shifted=False)["labels_double_shifted"].fired  # the model will shift again
    assert not checkup.batch(once)["labels_double_shifted"].fired
    labels = once["labels"]
    twice = dict(once, labels=torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], -100)], dim=1))
    assert checkup.batch(twice)["labels_double_shifted"].fired
    unshifted = checkup.batch(_batch(), shifted=True)  # declared the next tokens, given the inputs themselves
    assert unshifted["labels_not_shifted"].fired and unshifted["labels_not_shifted"].value == 1.0
    assert not checkup.batch(once, shifted=True)["labels_not_shifted"].fired


def test_an_x_y_pair_cut_from_a_row_carries_its_eos_in_y():
    """nanoGPT's (x, y) = (row[:-1], row[1:]): the stop token is the last target, never an input."""
    row = torch.tensor([[BOS, 5, 6, 7, 8, EOS]])
    report = checkup.batch({"input_ids": row[:, :-1], "labels": row[:, 1:]}, eos_id=EOS, shifted=True)
    assert report["eos_never_supervised"].value == 1 and not report["rows_truncated"].fired


def test_completion_mask_in_the_batch_finds_prompt_and_ignored_answer_tokens():
    batch = _batch("everything")
    batch["completion_mask"] = batch["labels"].ne(-100) & batch["input_ids"].ne(PAD)
    batch["completion_mask"][:, :3] = False  # a mask that says the answers start at 3 in both rows
    assert checkup.batch(batch)["prompt_supervised"].fired
    correct = _batch()
    correct["completion_mask"] = correct["labels"] != -100
    cut = dict(correct, labels=correct["labels"].masked_fill(torch.arange(8) >= 6, -100))  # answer ends masked
    report = checkup.batch(cut)
    assert report["ignored_answer_tokens"].fired and not report["prompt_supervised"].fired


def test_bad_batches_get_one_line_errors():
    with pytest.raises(CheckupError, match="dict of tensors"):
        checkup.batch([1, 2])
    with pytest.raises(CheckupError, match="needs 'labels'"):
        checkup.batch({"input_ids": torch.zeros(2, 4, dtype=torch.long)})
    with pytest.raises(CheckupError, match=r"must both be \(B, T\); got \(2, 4\) and \(2, 3\)"):
        checkup.batch({"input_ids": torch.zeros(2, 4, dtype=torch.long), "labels": torch.zeros(2, 3)})
    with pytest.raises(CheckupError, match="one length per row"):
        checkup.batch(_batch(), prompt_lengths=[1, 2, 3])


# ---------------------------------------------------------------------------------------------------------------
# Generation and the report format


def test_generation_budget_and_pad_eos_cross_check():
    report = checkup.generation([2, 3, 3, 4], max_new_tokens=4, eos_id=EOS, pad_id=PAD)
    assert report["answers_over_budget"].fired and report["answers_over_budget"].value == 0.25  # 4 + EOS > 4
    assert "raise max_new_tokens to at least 5" in report["answers_over_budget"].summary
    assert checkup.generation([2, 3, 3, 4], max_new_tokens=5, eos_id=EOS, pad_id=PAD).fired == []
    assert checkup.generation([4], max_new_tokens=4).fired == []  # no EOS to emit
    same = checkup.generation([2], max_new_tokens=8, eos_id=EOS, pad_id=EOS)
    assert same["pad_is_eos"].fired
    assert checkup.generation([2], 8, eos_id=EOS, pad_id=EOS, batch=_batch("pad_id", pad_id=EOS))["pad_is_eos"].fired
    assert not checkup.generation([2], 8, eos_id=EOS, pad_id=EOS, batch=_batch(pad_id=EOS))["pad_is_eos"].fired
    with pytest.raises(CheckupError, match="max_new_tokens"):
        checkup.generation([2], 0)
    with pytest.raises(CheckupError, match="answer_lengths"):
        checkup.generation([], 4)


def test_report_prints_as_text_and_markdown_with_the_labs_findings_format():
    report = checkup.generation([5], max_new_tokens=4)
    text, md = report.text(), report.markdown()
    assert "FIRED  answers_over_budget" in text and text.endswith("fired: answers_over_budget")
    assert "| **FIRED** | `answers_over_budget` | 1 | 0 |" in md
    assert set(report.to_dict()["findings"][0]) == {"name", "fired", "value", "threshold", "summary"}
    with pytest.raises(KeyError, match="this report has: answers_over_budget, pad_is_eos"):
        report["nope"]


def test_checkup_never_reads_the_catalogue():
    """checkup is core: it knows detectors and probes, never the breaks."""
    from pathlib import Path

    sources = " ".join(p.read_text() for p in Path(checkup.__file__).parent.glob("*.py"))
    assert "import breaks" not in sources and "from breaks" not in sources and "catalogue" not in sources


def test_loss_at_init_matches_a_direct_cross_entropy():
    """The init-loss value is |CE - ln V| / ln V on the same random ids (seed 0), proven against F.cross_entropy."""
    model = TinyLM()
    report = checkup.model(model, V, seq_len=16)
    idx = torch.randint(V, (2, 16), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(idx)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1))
    assert report["init_loss_off"].value == pytest.approx(abs(float(loss) - math.log(V)) / math.log(V), abs=1e-6)
