"""Batches for training and evaluation: a packed stream cut into blocks, or one example per row."""
from __future__ import annotations

import functools
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
    attention_mask: torch.Tensor | None = None  # (B, T) 1 for a real token, 0 for padding (left padding), or
    # (B, T, T) the keys each query may see (packed documents)
    position_ids: torch.Tensor | None = None  # (B, T) positions over real tokens, or within each packed example
    labels: torch.Tensor | None = None  # (B, T) the same targets in the collator's convention: aligned with the
    # inputs, shifted by the model's loss (`y` is then what that shift gives)

    def forward(self, model, targets: bool = False):
        """The model on these inputs, with their padding mask and positions: logits, or (logits, loss)."""
        y, labels = (None, self.labels) if self.labels is not None else (self.y, None)
        logits, loss = model(self.x, y if targets else None, attention_mask=self.attention_mask,
                             position_ids=self.position_ids, labels=labels if targets else None)
        return (logits, loss) if targets else logits

    def rows(self, rows: int | slice) -> Batch:
        """The first `rows` rows, or a slice of them."""
        pick = slice(rows) if isinstance(rows, int) else rows
        return Batch(*(None if t is None else t[pick] for t in (
            self.x, self.y, self.next_tokens, self.is_answer, self.attention_mask, self.position_ids, self.labels)))

    def split(self, k: int) -> list[Batch]:
        """The batch in k micro-batches of consecutive rows."""
        size = -(-len(self.x) // k)
        return [self.rows(slice(i, i + size)) for i in range(0, len(self.x), size)]


def in_collator_convention(batch: Batch) -> Batch:
    """The same batch with its targets as labels aligned with the inputs (the `collator_labels` seam); its `y`
    is what the model's loss makes of them (`model.shift_labels`)."""
    from minimodel.model import shift_labels

    learned = torch.cat([torch.zeros_like(batch.y[:, :1], dtype=torch.bool), batch.y[:, :-1] != IGNORE_INDEX],
                        dim=1)  # (B, T) token t is the target of position t - 1
    labels = seams.collator_labels(batch.x, learned)  # (B, T)
    return Batch(batch.x, shift_labels(labels), batch.next_tokens, batch.is_answer, batch.attention_mask,
                 batch.position_ids, labels)


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
        is_answer = self.truth[starts[:, None] + offsets[1:]]  # (B, T) from how the stream was built
        if self.loss_on == "answer":
            # the healthy mask is exactly that truth (a test proves it); computing it from the tokens takes a
            # pass over the whole stream per batch, so the seam is called only when it is replaced
            supervised = is_answer if seams.is_healthy("answer_mask") else seams.answer_mask(
                self.stream, starts, T, tok.sep_id, tok.eos_id)  # (B, T)
            y = y.masked_fill(~supervised, IGNORE_INDEX)
        y = seams.mask_special_targets(y, self.special_ids)
        return Batch(x, y, chunk[:, 1:], is_answer)

    def fixed_batches(self, n_batches: int, seed: int = 1234) -> list[Batch]:
        """The same evaluation blocks every time (independent of the training generator)."""
        g = torch.Generator().manual_seed(seed)
        high = len(self.stream) - self.block_size - 1
        return [self.batch_at(torch.randint(high, (self.batch_size,), generator=g))
                for _ in range(n_batches)]


class RowBatches:
    """One example per row: BOS, the example, then padding up to `block_size + 1` tokens.

    Padded on the left (`padding="left"`, as serving stacks pad prompts), the padding comes first, and each
    batch carries an attention mask that hides it and position ids that count real tokens only."""

    def __init__(self, task: Task, examples: list[Example], block_size: int, batch_size: int,
                 loss_on: str = "answer", seed: int = 0, padding: str = "right"):
        tok = task.tokenizer
        pad = seams.pad_token_id(tok.pad_id, tok.eos_id)
        rows, truth, real, answer_start = [], [], [], []
        for ex in examples:
            ids, n_answer = encode_example(task, ex)
            ids = [tok.bos_id] + ids
            if len(ids) > block_size + 1:
                raise ValueError(f"example {ex} needs {len(ids)} tokens; raise block_size to {len(ids) - 1}")
            n_pad = block_size + 1 - len(ids)
            row_truth = [False] * (len(ids) - n_answer) + [True] * n_answer
            if padding == "left":
                rows.append([pad] * n_pad + ids)
                truth.append([False] * n_pad + row_truth)
                real.append([0] * n_pad + [1] * len(ids))
                answer_start.append(block_size + 1 - n_answer)
            else:
                rows.append(ids + [pad] * n_pad)
                truth.append(row_truth + [False] * n_pad)
                answer_start.append(len(ids) - n_answer)
        self.rows = torch.tensor(rows)  # (N, T+1)
        self.truth = torch.tensor(truth)  # (N, T+1)
        self.real = torch.tensor(real) if real else None  # (N, T+1) 1 for a real token (left padding only)
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
        if self.real is None:
            return Batch(x, y, chunk[:, 1:], self.truth[idx][:, 1:])
        mask = self.real[idx][:, :-1]  # (B, T) the inputs' padding mask
        return Batch(x, y, chunk[:, 1:], self.truth[idx][:, 1:], mask, seams.position_ids(mask))

    def fixed_batches(self, n_batches: int, seed: int = 1234) -> list[Batch]:
        g = torch.Generator().manual_seed(seed)
        return [self.batch_at(torch.randint(len(self.rows), (self.batch_size,), generator=g))
                for _ in range(n_batches)]


class PackedDocumentBatches:
    """Padding-free packing: whole examples (each BOS, the example) side by side in rows of `block_size + 1`
    tokens, padding only after the last one that fits. Each batch carries the document mask (a token sees only
    its own example: the `document_mask` seam) and positions that start again with each example (the
    `document_positions` seam), so a packed row computes what its examples would on rows of their own."""

    def __init__(self, task: Task, examples: list[Example], block_size: int, batch_size: int,
                 loss_on: str = "answer", seed: int = 0):
        tok = task.tokenizer
        rows, truth, docs, row, row_truth, row_docs = [], [], [], [], [], []
        for ex in examples:
            ids, n_answer = encode_example(task, ex)
            ids = [tok.bos_id] + ids
            if len(row) + len(ids) > block_size + 1:  # the row is full: pad it and start the next
                n_pad = block_size + 1 - len(row)
                rows.append(row + [tok.pad_id] * n_pad)
                truth.append(row_truth + [False] * n_pad)
                docs.append(row_docs + [-1] * n_pad)  # padding is a document of its own
                row, row_truth, row_docs = [], [], []
            row_docs += [len(set(row_docs))] * len(ids)
            row += ids
            row_truth += [False] * (len(ids) - n_answer) + [True] * n_answer
        self.rows, self.truth, self.docs = torch.tensor(rows), torch.tensor(truth), torch.tensor(docs)  # (N, T+1)
        self.task, self.block_size, self.batch_size, self.loss_on = task, block_size, batch_size, loss_on
        self.special_ids = tok.special_ids
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self) -> Batch:
        return self.batch_at(torch.randint(len(self.rows), (self.batch_size,), generator=self.generator))

    def batch_at(self, idx: torch.Tensor) -> Batch:
        chunk, is_answer = self.rows[idx], self.truth[idx][:, 1:]  # (B, T+1), (B, T)
        x, y = seams.next_token_targets(chunk)  # (B, T), (B, T)
        if self.loss_on == "answer":
            y = y.masked_fill(~is_answer, IGNORE_INDEX)
        y = seams.mask_special_targets(y, self.special_ids)  # a document's stop predicts the next one's BOS
        docs = self.docs[idx][:, :-1]  # (B, T)
        return Batch(x, y, chunk[:, 1:], is_answer, seams.document_mask(docs), seams.document_positions(docs))

    def fixed_batches(self, n_batches: int, seed: int = 1234) -> list[Batch]:
        g = torch.Generator().manual_seed(seed)
        return [self.batch_at(torch.randint(len(self.rows), (self.batch_size,), generator=g))
                for _ in range(n_batches)]


class CollatorLabels:
    """A batcher whose batches carry their targets in the collator's convention: labels aligned with the inputs,
    shifted by the model's loss (`in_collator_convention`)."""

    def __init__(self, batches):
        self.batches = batches

    def sample(self) -> Batch:
        return in_collator_convention(self.batches.sample())

    def fixed_batches(self, n_batches: int, seed: int = 1234) -> list[Batch]:
        return [in_collator_convention(b) for b in self.batches.fixed_batches(n_batches, seed)]


BATCHERS = {"packed": PackedBatches, "rows": RowBatches, "packed documents": PackedDocumentBatches,
            "left-padded rows": functools.partial(RowBatches, padding="left")}
