"""Files written whole or not at all: checkpoints (loaded with weights_only=True) and JSON, with their stamps."""
from __future__ import annotations

import json
import os
import platform
import tempfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import torch

from minimodel import __version__
from minimodel.model import GPT, GPTConfig


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, truncated or not ours."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions() -> dict:
    return {"minimodel": __version__, "torch": torch.__version__, "python": platform.python_version()}


def atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside `path`, then rename it over: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2, default=str).encode()))


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
