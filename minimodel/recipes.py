"""Recipes: everything a run needs besides the seed (task, batching, model preset, optimiser)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Recipe:
    task: str = "addition"
    batching: str = "packed"  # "packed" stream cut into blocks, or one example per "rows"
    loss_on: str = "answer"  # "answer": only answer tokens are targets; "all": every token
    model: str = "small"  # a preset name from minimodel.model.PRESETS
    block_size: int = 16
    batch_size: int = 32
    steps: int = 300
    lr: float = 3e-3
    warmup: int = 20
    min_lr_frac: float = 0.1  # cosine decay ends at lr * min_lr_frac
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_prompts: int = 400  # held-out prompts for TF and AR exact match
    eval_batches: int = 8  # held-out blocks or rows for the TF losses
    n_samples: int = 8  # AR samples shown and saved


RECIPES = {
    # the reference: DESIGN's seed configuration, whole-stream loss (where the floor is defined)
    "seed-stream": Recipe(model="seed", block_size=64, steps=300, loss_on="all"),
    # a small model on the whole stream: the missing mask shows in about a hundred steps
    "stream-16": Recipe(block_size=16, steps=150, loss_on="all"),
    # answer-only loss on packed blocks of 16: where truncation at block boundaries bites
    "packed-answer-16": Recipe(block_size=16, steps=600, loss_on="answer"),
    # one padded example per row with PAUSE tokens; loss on everything but special tokens
    "padded-rows": Recipe(task="padded-addition", batching="rows", block_size=32, loss_on="all",
                          batch_size=32, steps=400),
    # one example per row, answer-only loss, stopped mid-learning: for the generation-side breaks
    "rows-answer-16": Recipe(batching="rows", block_size=16, loss_on="answer", steps=300),
    # answer-only loss on long packed blocks (several examples each), few rows per batch
    "packed-answer-64": Recipe(block_size=64, batch_size=8, steps=1000, loss_on="answer"),
    # operands without leading zeros (`7+45=52`), one example per row, answer-only loss
    "unpadded-rows": Recipe(task="unpadded-addition", batching="rows", block_size=16, loss_on="answer",
                            steps=600),
    # the sanity check: a 1-layer model memorises one sentence (BOS + 24 characters, one row)
    "memorise": Recipe(task="memorise", batching="rows", loss_on="all", model="memorise", block_size=24,
                       batch_size=8, steps=150, warmup=10, eval_batches=1, n_samples=1),
}


def get_recipe(name: str, **overrides) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; recipes are: {', '.join(RECIPES)}")
    return dataclasses.replace(RECIPES[name], **{k: v for k, v in overrides.items() if v is not None})
