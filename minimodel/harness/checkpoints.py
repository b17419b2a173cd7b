"""Checkpoints, written whole or not at all and loaded with weights_only=True, and the library versions."""
from __future__ import annotations

import platform
from dataclasses import asdict
from pathlib import Path

import torch

from minimodel import __version__
from minimodel.files import atomic_write
from minimodel.model import GPT, GPTConfig


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, truncated or not ours."""


def versions() -> dict:
    return {"minimodel": __version__, "torch": torch.__version__, "python": platform.python_version()}


def save_checkpoint(path: Path, model: GPT, meta: dict) -> None:
    payload = {"model": model.state_dict(), "config": asdict(model.cfg), "meta": meta}
    atomic_write(path, lambda f: torch.save(payload, f))


def load_checkpoint(path: Path, retrain_hint: str) -> tuple[GPT, dict]:
    """The model and its metadata; a one-line CheckpointError instead of a torch traceback."""
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}; create it with: {retrain_hint}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        model = GPT(GPTConfig(**payload["config"]))
        model.load_state_dict(payload["model"])
    except Exception as e:  # unpickling, zip and shape errors all mean the same thing to a learner
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated ({first[:120]}); "
                              f"recreate it with: {retrain_hint}") from None
    model.eval()
    return model, payload.get("meta", {})
