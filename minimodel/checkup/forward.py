"""A user's model as ids (B, T) -> logits (B, T, V), and where its embedding and its blocks are."""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn as nn

from minimodel.checkup.report import CheckupError
from minimodel.probes import probe_points

FULL_LOGITS = ("pass a callable that returns every position's logits (B, T, V), "
               "e.g. lambda idx: model(idx, targets=idx)[0] or lambda idx: model(idx).logits")


def unwrap(out) -> torch.Tensor:
    """Logits from what a forward returns: a tensor, a tuple starting with one, or an object with .logits (HF)."""
    if isinstance(out, (tuple, list)) and out:
        out = out[0]  # (logits, loss), nanoGPT style
    elif isinstance(out, dict) and "logits" in out:
        out = out["logits"]
    elif hasattr(out, "logits"):
        out = out.logits  # a Hugging Face ModelOutput
    if not isinstance(out, torch.Tensor):
        raise CheckupError(f"the model returned {type(out).__name__}; expected logits (B, T, V) as a tensor, "
                           "a tuple starting with one, or an object with a .logits attribute")
    return out


def check_logits(logits: torch.Tensor, B: int, T: int, vocab_size: int) -> None:
    """One-line errors for logits that are not (B, T, V): the last position only, wrong shape, wrong V."""
    shape = tuple(logits.shape)
    if T > 1 and (shape == (B, vocab_size) or shape == (B, 1, vocab_size)):
        raise CheckupError(f"the model returns logits for the last position only {shape} on ids {(B, T)}; "
                           + FULL_LOGITS)
    if logits.dim() != 3 or shape[:2] != (B, T):
        raise CheckupError(f"expected logits of shape (B, T, V) = ({B}, {T}, {vocab_size}) on ids {(B, T)}, "
                           f"got {shape}")
    if shape[2] != vocab_size:
        raise CheckupError(f"the model's logits have {shape[2]} entries per position but vocab_size is "
                           f"{vocab_size}; pass the vocabulary size the model outputs")


def call(model, idx: torch.Tensor, **keywords):
    """What the model returns for ids (B, T) and any keywords; its failure is one line that says what we passed."""
    try:
        return model(idx, **keywords)
    except Exception as e:  # the user's code: say what we called it with, in one line
        first = (str(e).splitlines() or [""])[0][:200]
        given = f" with {', '.join(keywords)}" if keywords else ""
        raise CheckupError(f"calling the model on ids of shape {tuple(idx.shape)}{given} failed "
                           f"({type(e).__name__}: {first}); check vocab_size and seq_len") from None


@contextmanager
def eval_mode(model):
    """Dropout off while we measure (a leak must not hide in noise); the model's own mode comes back after."""
    if not isinstance(model, nn.Module):
        yield
        return
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def find_embedding(model, vocab_size: int) -> nn.Module | None:
    """The module whose output (B, T, C) is the per-position input: the lab's probe, HF's, else an embedding."""
    if not isinstance(model, nn.Module):
        return None  # a bare callable: pass embedding=...
    found = probe_points(model, "hook_embed")  # the lab's GPT (tokens + positions)
    if found:
        return found[0][1]
    get = getattr(model, "get_input_embeddings", None)  # Hugging Face
    if callable(get) and isinstance(get(), nn.Module):
        return get()
    return next((m for m in model.modules() if isinstance(m, nn.Embedding) and m.num_embeddings == vocab_size),
                None)


def find_blocks(model) -> tuple[str, nn.ModuleList] | None:
    """The stack of blocks: the shallowest nn.ModuleList whose items share one class (h, layers, blocks)."""
    if not isinstance(model, nn.Module):
        return None
    stacks = [(name, m) for name, m in model.named_modules()
              if isinstance(m, nn.ModuleList) and len(m) and len({type(b) for b in m}) == 1]
    return min(stacks, key=lambda s: s[0].count(".")) if stacks else None


def infer_vocab_size(model) -> int | None:
    """The vocabulary size from the model's config (HF) or its first embedding table (the CLI's default)."""
    size = getattr(getattr(model, "config", None), "vocab_size", None)
    if isinstance(size, int):
        return size
    if not isinstance(model, nn.Module):
        return None
    first = next((m for m in model.modules() if isinstance(m, nn.Embedding)), None)  # tokens come first
    return first.num_embeddings if first is not None else None
