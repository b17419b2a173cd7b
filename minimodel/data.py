"""Batches for training and evaluation: a packed stream cut into blocks, or one example per row."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from minimodel import seams
from minimodel.seams import IGNORE_INDEX
from minimodel.tasks import Example, Task


@dataclass
class Batch:
    x: torch.Tensor  # (B, T) inputs
    y: torch.Tensor  # (B, T) training targets, IGNORE_INDEX where not supervised
    next_tokens: torch.Tensor  # (B, T) the true next token at every position (for honest metrics)
    is_answer: torch.Tensor  # (B, T) bool, ground truth: the target is an answer token or its stop


def encode_example(task: Task, ex: Example) -> tuple[list[int], int]:
    """Tokens of one formatted example, and how many of them (at the end) are answer + stop."""
    tok = task.tokenizer
    ids = seams.format_example(tok.encode(ex.prompt), tok.encode(ex.answer), tok.sep_id, tok.eos_id)
    return ids, len(tok.encode(ex.answer)) + 1


class PackedBatches:
    """nanoGPT style: all examples concatenated into one stream, random blocks of `block_size`."""

    def __init__(self, task: Task, examples: list[Example], block_size: int, batch_size: int,
                 loss_on: str = "answer", seed: int = 0):
        tok = task.tokenizer
        stream, truth = [], []
        for ex in examples:
            ids, n_answer = encode_example(task, ex)
            stream += ids
            truth += [False] * (len(ids) - n_answer) + [True] * n_answer
        self.stream = torch.tensor(stream)  # (N,)
        self.truth = torch.tensor(truth)  # (N,) ground truth from the task's structure
        self.task, self.block_size, self.batch_size, self.loss_on = task, block_size, batch_size, loss_on
        self.special_ids = tok.special_ids
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self) -> Batch:
        return self.batch_at(torch.randint(len(self.stream) - self.block_size - 1,
                                           (self.batch_size,), generator=self.generator))

    def batch_at(self, starts: torch.Tensor) -> Batch:
        T, tok = self.block_size, self.task.tokenizer
        offsets = torch.arange(T + 1)
        chunk = self.stream[starts[:, None] + offsets]  # (B, T+1)
        x, y = seams.next_token_targets(chunk)  # (B, T), (B, T)
        if self.loss_on == "answer":
            supervised = seams.answer_mask(self.stream, starts, T, tok.sep_id, tok.eos_id)  # (B, T)
            y = y.masked_fill(~supervised, IGNORE_INDEX)
        y = seams.mask_special_targets(y, self.special_ids)
        return Batch(x, y, chunk[:, 1:], self.truth[starts[:, None] + offsets[1:]])

    def fixed_batches(self, n_batches: int, seed: int = 1234) -> list[Batch]:
        """The same evaluation blocks every time (independent of the training generator)."""
        g = torch.Generator().manual_seed(seed)
        high = len(self.stream) - self.block_size - 1
        return [self.batch_at(torch.randint(high, (self.batch_size,), generator=g))
                for _ in range(n_batches)]


class RowBatches:
    """One example per row: BOS, the example, then padding up to `block_size + 1` tokens."""

    def __init__(self, task: Task, examples: list[Example], block_size: int, batch_size: int,
                 loss_on: str = "answer", seed: int = 0):
        tok = task.tokenizer
        pad = seams.pad_token_id(tok.pad_id, tok.eos_id)
        rows, truth, answer_start = [], [], []
        for ex in examples:
            ids, n_answer = encode_example(task, ex)
            ids = [tok.bos_id] + ids
            if len(ids) > block_size + 1:
                raise ValueError(f"example {ex} needs {len(ids)} tokens; raise block_size to {len(ids) - 1}")
            n_pad = block_size + 1 - len(ids)
            rows.append(ids + [pad] * n_pad)
            truth.append([False] * (len(ids) - n_answer) + [True] * n_answer + [False] * n_pad)
            answer_start.append(len(ids) - n_answer)
        self.rows = torch.tensor(rows)  # (N, T+1)
        self.truth = torch.tensor(truth)  # (N, T+1)
        self.answer_start = torch.tensor(answer_start)  # (N,) first answer token of each row
        self.task, self.block_size, self.batch_size, self.loss_on = task, block_size, batch_size, loss_on
        self.special_ids = [pad, tok.bos_id, tok.pause_id]  # masked by id, as real pipelines do
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self) -> Batch:
        return self.batch_at(torch.randint(len(self.rows), (self.batch_size,), generator=self.generator))

    def batch_at(self, idx: torch.Tensor) -> Batch:
        chunk = self.rows[idx]  # (B, T+1)
        x, y = seams.next_token_targets(chunk)  # (B, T), (B, T)
        if self.loss_on == "answer":
            supervised = seams.completion_mask(self.answer_start[idx], self.block_size)  # (B, T)
            y = y.masked_fill(~supervised, IGNORE_INDEX)
        y = seams.mask_special_targets(y, self.special_ids)
        return Batch(x, y, chunk[:, 1:], self.truth[idx][:, 1:])

    def fixed_batches(self, n_batches: int, seed: int = 1234) -> list[Batch]:
        g = torch.Generator().manual_seed(seed)
        return [self.batch_at(torch.randint(len(self.rows), (self.batch_size,), generator=g))
                for _ in range(n_batches)]


BATCHERS = {"packed": PackedBatches, "rows": RowBatches}
