"""`python -m minimodel.notebooks.capstone`: the capstone notebook (notebooks/checkup.ipynb), generated like the others.

A learner audits a small setup of their own kind (a model, a collator, a generation budget) that
carries three seeded mistakes, predicts which checks fire, runs checkup, and fixes them. Fixed cell
ids and no outputs: regenerating gives byte-identical files.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from minimodel.notebooks.generate import KERNEL, ROOT, one_outdated, write_one

PATH = Path("notebooks") / "checkup.ipynb"
OUTDATED = "notebooks/checkup.ipynb is outdated, run `just notebooks`"

CELLS = [
    ("title", "markdown", """\
# Capstone: checkup your own setup

You have seen each break from the inside. Outside the lab nobody tells you which one is on: the loss
still goes down, and the model is quietly worse. `minimodel.checkup` points the lab's detectors at
*your* model, *your* batches and *your* generation settings, in seconds and without training.

Below is a small setup of the kind you will write next: a tokenizer, a model, a collator and a
generation budget for sums like `12+34=46`. It carries **three mistakes** from this lab's catalogue.
Read it, **predict** which checks will fire, **run** checkup, then **fix** the setup until it is quiet."""),

    ("setup-md", "markdown", "## 1. The setup\n\nThe vocabulary and the data: one character per token."),
    ("setup", "code", """\
import torch
import torch.nn as nn
import torch.nn.functional as F

from minimodel import checkup

torch.manual_seed(0)
VOCAB = list("0123456789+=") + ["<eos>", "<pad>"]
STOI = {ch: i for i, ch in enumerate(VOCAB)}
EOS = STOI["<eos>"]
PAD = EOS  # the tokenizer had no pad token, so we reuse EOS (a common recipe)


def encode(text):
    return [STOI[ch] for ch in text]


PAIRS = [(int(a), int(b)) for a, b in torch.randint(10, 100, (32, 2))]
PROMPTS = [f"{a}+{b}=" for a, b in PAIRS]
ANSWERS = [str(a + b) for a, b in PAIRS]
print(len(VOCAB), "tokens;", PROMPTS[0] + ANSWERS[0], "...")"""),

    ("model-md", "markdown", "The model: one attention layer with its own mask, an MLP, an output head."),
    ("model", "code", """\
def allowed(T):
    \"\"\"(T, T) bool, True where query i may look at key j.\"\"\"
    return torch.ones(T, T, dtype=torch.bool).tril(diagonal=1)


class TinyLM(nn.Module):
    def __init__(self, V, C=32, n_head=4, block_size=16):
        super().__init__()
        self.tok, self.pos = nn.Embedding(V, C), nn.Embedding(block_size, C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.mlp = nn.Sequential(nn.LayerNorm(C), nn.Linear(C, 4 * C), nn.GELU(), nn.Linear(4 * C, C))
        self.head, self.n_head = nn.Linear(C, V), n_head
        nn.init.normal_(self.head.weight, std=0.02)  # start near uniform guessing: loss ln V

    def forward(self, idx):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T))  # (B, T, C)
        q, k, v = (t.view(B, T, self.n_head, -1).transpose(1, 2) for t in self.qkv(x).chunk(3, dim=-1))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed(T))  # (B, nh, T, hs)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, -1))
        return self.head(x + self.mlp(x))  # (B, T, V)


model = TinyLM(len(VOCAB))"""),

    ("collate-md", "markdown", "The collator: prompt and answer in one row, EOS at the end, padded on the right."),
    ("collate", "code", """\
def collate(prompts, answers):
    rows = [encode(p + a) + [EOS] for p, a in zip(prompts, answers)]
    T = max(len(r) for r in rows)
    input_ids = torch.tensor([r + [PAD] * (T - len(r)) for r in rows])  # (B, T)
    attention_mask = torch.tensor([[1] * len(r) + [0] * (T - len(r)) for r in rows])
    labels = input_ids.masked_fill(input_ids == PAD, -100)  # no loss on padding
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention_mask}


batch = collate(PROMPTS[:8], ANSWERS[:8])
MAX_NEW_TOKENS = 3  # sums of two 2-digit numbers have at most 3 digits"""),

    ("predict-md", "markdown", """\
## 2. Predict

Before you run anything: which checks will fire? Write the names you expect into the sets below
(leave a set empty for "nothing"). The model checks are `leak_test`, `prefix_moves`,
`first_leaky_block`, `init_loss_off`; the batch checks include `rows_without_targets`,
`padding_supervised`, `eos_never_supervised`, `special_supervised`, `labels_double_shifted`,
`rows_truncated`; the generation checks are `answers_over_budget` and `pad_is_eos`."""),
    ("predict", "code", """\
PREDICTION = {
    "model": set(),       # e.g. {"leak_test"}
    "batch": set(),
    "generation": set(),
}"""),

    ("run-md", "markdown", """\
## 3. Run checkup

Each check is a lab detector: a value, a threshold, fired or quiet, and in plain words what it means
and its likely cause."""),
    ("run-model", "code", "checkup.model(model, vocab_size=len(VOCAB), seq_len=16)"),
    ("run-batch", "code", "checkup.batch(batch, eos_id=EOS, pad_id=PAD)"),
    ("run-generation", "code", """\
checkup.generation([len(encode(a)) for a in ANSWERS], max_new_tokens=MAX_NEW_TOKENS, eos_id=EOS, pad_id=PAD,
                   batch=batch)"""),

    ("compare-md", "markdown", "## 4. Compare with your prediction"),
    ("compare", "code", """\
def audit():
    return {"model": checkup.model(TinyLM(len(VOCAB)), vocab_size=len(VOCAB), seq_len=16),
            "batch": checkup.batch(collate(PROMPTS[:8], ANSWERS[:8]), eos_id=EOS, pad_id=PAD),
            "generation": checkup.generation([len(encode(a)) for a in ANSWERS], max_new_tokens=MAX_NEW_TOKENS,
                                             eos_id=EOS, pad_id=PAD, batch=collate(PROMPTS[:8], ANSWERS[:8]))}


for part, report in audit().items():
    fired = {f.name for f in report.fired}
    verdict = "right" if fired == PREDICTION[part] else "differs on " + ", ".join(sorted(fired ^ PREDICTION[part]))
    print(f"{part:<11} predicted {sorted(PREDICTION[part]) or 'nothing'}, fired {sorted(fired) or 'nothing'}: "
          f"{verdict}")"""),

    ("fix-md", "markdown", """\
## 5. Fix

Each fired finding names a likely cause. Fix the setup cells above (the mask, the pad token, the
budget), rerun the notebook from the top, and run the cell below until nothing fires. Try before you
read the solution at the end."""),
    ("fix-check", "code", """\
still = {part: [f.name for f in report.fired] for part, report in audit().items()}
print("nothing fires: your setup passes" if not any(still.values()) else f"still firing: {still}")"""),

    ("solution-md", "markdown", """\
## 6. Solution

1. `allowed` used `tril(diagonal=1)`: every position saw the next token (the lab's off-by-one mask).
   `leak_test` and `prefix_moves` fire without any training (`first_leaky_block` needs an
   `nn.ModuleList` of blocks, and this model has one layer and no list).
2. `PAD = EOS` with labels masked by id: every EOS left the loss, so the model never learns to stop
   (`eos_never_supervised`, and `pad_is_eos` in the generation check).
3. Three new tokens for an answer of up to three digits leave no room for EOS: the longest answers
   are cut off (`answers_over_budget`)."""),
    ("solution", "code", """\
def causal(T):
    \"\"\"(T, T) bool, True where query i may look at key j: only j <= i.\"\"\"
    return torch.ones(T, T, dtype=torch.bool).tril()


allowed = causal  # noqa: F811 (replaces the setup's mask; the model looks it up at every call)
PAD = STOI["<pad>"]  # a pad token of its own: masking PAD no longer masks EOS
MAX_NEW_TOKENS = max(len(encode(a)) for a in ANSWERS) + 1  # the longest answer, then EOS

reports = audit()
for report in reports.values():
    report.raise_on_fired()  # in your own test suite, this line fails the build
print("all quiet:", ", ".join(f"{part} ({len(r.findings)} checks)" for part, r in reports.items()))"""),
]


def build() -> nbformat.NotebookNode:
    """The capstone notebook, cells in order with their fixed ids."""
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    cells = [make[kind](text, id=cell_id) for cell_id, kind, text in CELLS]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL, "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def outdated(root: Path = ROOT) -> list[str]:
    return one_outdated(root, PATH, build())


def write(root: Path = ROOT) -> bool:
    """Write the notebook if it changed (atomically); True when it did."""
    return write_one(root, PATH, build())
