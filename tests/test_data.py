"""Tokenizer round trip, and target masks on hand-made batches."""
import torch

from minimodel.breaks.b10_truncated_mask import answer_mask as per_block_answer_mask
from minimodel import seams
from minimodel.data import PackedBatches, RowBatches
from minimodel.seams import IGNORE_INDEX
from minimodel.tasks import make_task
from minimodel.tokenizer import CharTokenizer

TOK = CharTokenizer("0123456789+")


def test_tokenizer_round_trip_with_specials():
    text = "<bos>07+45<pause><pause>=52\n<pad><pad>"
    ids = TOK.encode(text)
    assert TOK.decode(ids) == text
    assert ids[0] == TOK.bos_id and ids.count(TOK.pause_id) == 2 and ids[-1] == TOK.pad_id
    assert TOK.sep_id == TOK.stoi["="] and TOK.eos_id == TOK.stoi["\n"]


def test_answer_mask_survives_a_block_that_starts_mid_answer():
    stream = torch.tensor(TOK.encode("12+34=46\n50+50=100\n01+01=2\n"))
    start = stream.tolist().index(TOK.stoi["="], 8) + 1  # x starts at '1' of "100"
    mask = seams.answer_mask(stream, torch.tensor([start]), 6, TOK.sep_id, TOK.eos_id)
    targets = TOK.decode(stream[start + 1: start + 7])
    assert targets == "00\n01+"
    assert mask[0].tolist() == [True, True, True, False, False, False]  # "00\n" are answer tokens
    broken = per_block_answer_mask(stream, torch.tensor([start]), 6, TOK.sep_id, TOK.eos_id)
    assert broken[0].tolist() == [False] * 6  # the per-block walk thinks it is in a prompt


def test_answer_mask_on_a_block_at_an_example_start():
    stream = torch.tensor(TOK.encode("\n12+34=46\n"))
    mask = seams.answer_mask(stream, torch.tensor([0]), 9, TOK.sep_id, TOK.eos_id)
    assert [TOK.itos[t] for t, m in zip(stream[1:].tolist(), mask[0].tolist()) if m] == ["4", "6", "\n"]


def test_mask_special_targets():
    y = torch.tensor([[5, TOK.pad_id, TOK.pause_id, TOK.bos_id, TOK.eos_id]])
    out = seams.mask_special_targets(y, TOK.special_ids)
    assert out.tolist() == [[5, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, TOK.eos_id]]


def test_packed_batches_supervise_exactly_the_answers():
    task = make_task("addition", seed=0)
    b = PackedBatches(task, task.train, 16, 8, loss_on="answer").sample()
    supervised = b.y != IGNORE_INDEX
    assert torch.equal(supervised, b.is_answer)
    assert torch.equal(b.y[supervised], b.next_tokens[supervised])


def test_padded_rows_are_mostly_padding_and_masked():
    task = make_task("padded-addition", seed=0)
    rows = RowBatches(task, task.train, 32, 32, loss_on="all")
    b = rows.sample()
    assert (b.next_tokens == task.tokenizer.pad_id).float().mean() >= 0.5  # as in real padded data
    assert not torch.isin(b.y, torch.tensor(task.tokenizer.special_ids)).any()
    assert b.x[:, 0].eq(task.tokenizer.bos_id).all()


def test_tasks_are_deterministic_and_split_9_to_1():
    a, b = make_task("addition", seed=3), make_task("addition", seed=3)
    assert a.train == b.train and len(a.train) == 9000 and len(a.val) == 1000
    assert make_task("addition", seed=3, train_frac=0.8).val.__len__() == 2000
    assert a.train[:5] != make_task("addition", seed=4).train[:5]
    assert all(int(ex.answer) == int(ex.prompt[:2]) + int(ex.prompt[3:5]) for ex in a.train[:100])


def test_the_healthy_answer_mask_is_the_truth_the_packed_stream_was_built_with():
    """The packed batcher reads the healthy mask from its ground truth instead of calling the seam: the same."""
    task = make_task("unpadded-addition", seed=0)
    data = PackedBatches(task, task.train[:2000], 16, 64, "answer", seed=0)
    starts = torch.randint(len(data.stream) - 17, (512,), generator=torch.Generator().manual_seed(0))
    seam = seams.answer_mask(data.stream, starts, 16, task.tokenizer.sep_id, task.tokenizer.eos_id)
    assert torch.equal(seam, data.batch_at(starts).is_answer)
