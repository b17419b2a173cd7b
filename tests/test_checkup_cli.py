"""`minimodel checkup model|batch`: a factory file and a saved batch, exit codes 1 / 0 / 2, one-line errors."""
import textwrap

import pytest
import torch
from typer.testing import CliRunner

from minimodel.cli import app

runner = CliRunner()

FACTORIES = textwrap.dedent('''
    """A learner's model file: a tiny causal LM, with or without its mask."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F


    class LM(nn.Module):
        def __init__(self, causal=True, V=20, C=16):
            super().__init__()
            torch.manual_seed(0)
            self.causal, self.tok = causal, nn.Embedding(V, C)
            self.attn, self.head = nn.MultiheadAttention(C, 2, batch_first=True), nn.Linear(C, V)

        def forward(self, idx):
            x = self.tok(idx)  # (B, T, C)
            T = idx.shape[1]
            mask = torch.ones(T, T, dtype=torch.bool).triu(1) if self.causal else None  # True = may not look
            y, _ = self.attn(x, x, x, attn_mask=mask)
            return self.head(x + y)  # (B, T, V)


    def healthy():
        return LM()


    def no_mask():
        return LM(causal=False)


    def last_only():
        model = LM()
        return lambda idx: model(idx)[:, -1]


    def not_a_model():
        return 42


    def mean_loss(logits, labels):  # each micro-batch's own mean
        V = logits.shape[-1]
        return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)


    def counted_loss(logits, labels, num_items_in_batch=None):  # summed, over the whole batch's count
        V = logits.shape[-1]
        summed = F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), reduction="sum")
        return summed / (num_items_in_batch or (labels[:, 1:] != -100).sum())


    def adam(model):
        return torch.optim.Adam(model.parameters(), lr=3e-3)
''')


@pytest.fixture
def factory(tmp_path):
    path = tmp_path / "my_model.py"
    path.write_text(FACTORIES)
    return path


def invoke(*args):
    return runner.invoke(app, ["checkup", *map(str, args)])


def test_model_leak_exits_1_healthy_exits_0(factory):
    r = invoke("model", f"{factory}:no_mask", "--seq-len", 16)
    assert r.exit_code == 1, r.output
    assert "FIRED  leak_test" in r.output and "FIRED  prefix_moves" in r.output
    r = invoke("model", f"{factory}:healthy", "--vocab-size", 20, "--seq-len", 16)
    assert r.exit_code == 0, r.output
    assert "fired: nothing" in r.output and "quiet  leak_test" in r.output
    r = invoke("model", f"{factory}:healthy", "--seq-len", 16, "--markdown")
    assert r.exit_code == 0 and "| quiet | `leak_test` | 0 |" in r.output


def test_checks_by_name_with_the_learners_loss_and_optimiser(factory):
    r = invoke("model", f"{factory}:healthy", "--seq-len", 16, "--checks", "left_padding,cache")
    assert r.exit_code == 0 and "its forward takes ids only" in r.output and "leak_test" not in r.output
    args = ("--seq-len", 16, "--checks", "accumulation,overfit", "--optimizer", f"{factory}:adam")
    r = invoke("model", f"{factory}:healthy", *args, "--loss-fn", f"{factory}:mean_loss")
    assert r.exit_code == 1 and "FIRED  accumulation_differs" in r.output and "quiet  overfit_not_recalled" in r.output
    r = invoke("model", f"{factory}:healthy", *args, "--loss-fn", f"{factory}:counted_loss")
    assert r.exit_code == 0, r.output
    for bad, message in [(("--checks", "cache,nope"), "unknown check(s) 'nope'; checks are: leak, prefix"),
                         (("--loss-fn", f"{factory}:nope"), "has no function 'nope'; expected a function loss_fn")]:
        r = invoke("model", f"{factory}:healthy", *bad)
        assert r.exit_code == 2 and message in r.output and r.output.count("\n") == 1, r.output


@pytest.mark.parametrize("target, message", [
    ("missing.py:build", "no such file missing.py"),
    ("{f}", "expected FILE.py:FACTORY"),
    ("{f}:nope", "has no function 'nope'"),
    ("{f}:not_a_model", "not_a_model() returned int; expected an nn.Module or a callable"),
    ("{f}:last_only", "last position only"),
])
def test_bad_factories_exit_2_with_one_line(factory, target, message):
    r = invoke("model", target.format(f=factory), "--vocab-size", 20)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert r.output.count("\n") == 1


def test_vocab_size_that_does_not_match_the_output_exits_2(factory):
    r = invoke("model", f"{factory}:healthy", "--vocab-size", 12)
    assert r.exit_code == 2 and "have 20 entries per position but vocab_size is 12" in r.output


def _rows(pad_eos: bool):
    ids = torch.tensor([[2, 5, 6, 7, 1, 0], [2, 8, 9, 10, 11, 1]])  # 0 PAD, 1 EOS, 2 BOS
    mask = (ids != 0).long()
    if pad_eos:
        ids = ids.masked_fill(ids == 0, 1)
        return {"input_ids": ids, "labels": ids.masked_fill(ids == 1, -100), "attention_mask": mask}
    return {"input_ids": ids, "labels": ids.masked_fill(mask == 0, -100), "attention_mask": mask}


def test_batch_exits_1_when_eos_is_never_supervised_and_0_when_quiet(tmp_path):
    torch.save(_rows(pad_eos=True), tmp_path / "bad.pt")
    r = invoke("batch", tmp_path / "bad.pt", "--eos-id", 1, "--pad-id", 1)
    assert r.exit_code == 1 and "FIRED  eos_never_supervised" in r.output and "PAD equals EOS" in r.output
    torch.save(_rows(pad_eos=False), tmp_path / "good.pt")
    r = invoke("batch", tmp_path / "good.pt", "--eos-id", 1, "--pad-id", 0, "--aligned")
    assert r.exit_code == 0, r.output


def test_bad_batch_files_exit_2_with_one_line(tmp_path):
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    torch.save([torch.zeros(2)], tmp_path / "list.pt")
    torch.save({"input_ids": torch.zeros(2, 4, dtype=torch.long), "labels": torch.zeros(2, 3, dtype=torch.long)},
               tmp_path / "shapes.pt")
    for name, message in [("missing.pt", "no such file"), ("junk.pt", "cannot load"),
                          ("list.pt", "holds list, not a dict of tensors"),
                          ("shapes.pt", "input_ids and labels must both be (B, T)")]:
        r = invoke("batch", tmp_path / name)
        assert r.exit_code == 2, (name, r.output)
        assert message in r.output and "Traceback" not in r.output and r.output.count("\n") == 1
