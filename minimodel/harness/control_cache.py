"""The on-disk cache of healthy controls (and of catalogue break runs): a verdict trains only what it lacks.

An entry is keyed by everything that changes a run's numbers: the recipe, the seed, the processor, the torch
thread count, the kernels' instruction set (MINIMODEL_ISA, or the CPU's own), the library's source,
torch's version and, for a break's run, the source of the
catalogue module that plants it (a learner's own functions are never cached). It lives in the user's cache folder
(`settings.cache_dir()`: MINIMODEL_CACHE, default `$XDG_CACHE_HOME/minimodel` or `~/.cache/minimodel`), never in the
repository. Entries are written atomically; one that is corrupt, truncated or made under another
key is ignored (with a one-line note) and trained again, never trusted.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import inspect
import json
from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from minimodel import settings
from minimodel.recipes import Recipe
from minimodel.harness.checkpoints import CheckpointError, load_checkpoint, save_checkpoint

FORMAT = 2


# the modules whose code decides a control's numbers (how it is built, trained and measured); the
# recipe's values are in the key themselves
TRAINING_CODE = ("minimodel.model", "minimodel.seams", "minimodel.probes", "minimodel.tokenizer", "minimodel.tasks",
                 "minimodel.data", "minimodel.train", "minimodel.evaluate", "minimodel.metrics", "minimodel.competence",
                 "minimodel.serve",
                 "minimodel.harness.runner")


@functools.cache
def library_digest() -> str:
    """A digest of the code that trains and measures a control: any change to it invalidates the cache. Read
    once per process: a long job keeps the code it started with, and must not file its runs under newer code."""
    h = hashlib.sha256()
    for name in TRAINING_CODE:
        h.update(name.encode() + b"\0" + Path(importlib.util.find_spec(name).origin).read_bytes())
    return h.hexdigest()[:16]


def cacheable(replacements: Mapping[str, Callable]) -> bool:
    """Only functions from the catalogue's own modules are cached: their source file is their identity."""
    return all(getattr(fn, "__module__", "").startswith("minimodel.breaks.") for fn in replacements.values())


def _module_digest(fn: Callable) -> str:
    return hashlib.sha256(Path(inspect.getfile(fn)).read_bytes()).hexdigest()[:16]


def entry_key(recipe: Recipe, seed: int, replacements: Mapping[str, Callable] | None = None) -> dict:
    key = {"format": FORMAT, "recipe": dataclasses.asdict(recipe), "seed": seed, "cpu": settings.cpu_name(),
           "threads": torch.get_num_threads(), "isa": settings.isa_label(), "library": library_digest(),
           "torch": str(torch.__version__)}
    if replacements:
        key["replacements"] = {name: f"{fn.__module__}.{fn.__qualname__}@{_module_digest(fn)}"
                               for name, fn in sorted(replacements.items())}
    return key


def entry_path(key: dict) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    kind = "run" if key.get("replacements") else "control"
    return settings.cache_dir() / f"{kind}-seed{key['seed']}-{digest}.pt"


def load(recipe: Recipe, seed: int, note: Callable[[str], None] = print,
         replacements: Mapping[str, Callable] | None = None):
    """(model, meta) of the cached run, or None when there is no usable entry."""
    key = entry_key(recipe, seed, replacements)
    path = entry_path(key)
    if not path.exists():
        return None
    try:
        model, meta = load_checkpoint(path, "it will be trained again")
        if meta.get("key") != key or not {"metrics", "train_losses", "seconds"} <= meta.keys():
            raise CheckpointError(f"cached control {path} was made under another key")
    except CheckpointError as e:
        what = "run" if replacements else "healthy control"
        note(f"note: ignoring the cached {what} ({str(e)[:160]}); training it again")
        return None
    return model, meta


def store(recipe: Recipe, seed: int, model, metrics: dict, train_losses: list[float], seconds: float,
          replacements: Mapping[str, Callable] | None = None) -> Path:
    key = entry_key(recipe, seed, replacements)
    path = entry_path(key)
    save_checkpoint(path, model, {"key": key, "metrics": metrics, "train_losses": train_losses,
                                  "seconds": seconds})
    return path
