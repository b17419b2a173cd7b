"""What the checkup CLI is pointed at: a factory in a Python file, a batch saved with torch.save."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

from minimodel.checkup.report import CheckupError

MODEL = "an nn.Module or a callable mapping ids (B, T) to logits (B, T, V)"


def _first_line(e: Exception) -> str:
    return f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:160]}"


def load_function(target: str, form: str = "FILE.py:FACTORY", example: str = "my_model.py:build",
                  expected: str = f"a function that returns {MODEL}"):
    """`FILE.py:NAME` -> the function NAME of that file, imported and not called; one-line errors."""
    path, sep, name = target.rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise CheckupError(f"expected {form} (e.g. {example}), got {target!r}")
    file = Path(path)
    if not file.is_file():
        raise CheckupError(f"no such file {path}; expected {form}, a Python file with {expected}")
    spec = importlib.util.spec_from_file_location(f"checkup_factory_{file.stem}", file)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))  # the factory may import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as e:  # the user's file: one line, no traceback
        raise CheckupError(f"importing {path} failed ({_first_line(e)})") from None
    finally:
        sys.path.remove(str(file.resolve().parent))
    function = getattr(module, name, None)
    if not callable(function):
        raise CheckupError(f"{path} has no function {name!r}; expected {expected}")
    return function


def load_factory(target: str):
    """`FILE.py:FACTORY` -> what FACTORY() returns, checked to be a model or a callable."""
    factory = load_function(target)
    path, name = target.rpartition(":")[::2]
    try:
        made = factory()
    except Exception as e:
        raise CheckupError(f"calling {name}() from {path} failed ({_first_line(e)})") from None
    if not callable(made):
        raise CheckupError(f"{name}() returned {type(made).__name__}; expected {MODEL}")
    return made


def load_batch(path: str) -> dict[str, torch.Tensor]:
    """A batch saved with torch.save({'input_ids': ..., 'labels': ..., ...}), loaded with weights_only=True."""
    if not Path(path).is_file():
        raise CheckupError(f"no such file {path}; expected a dict of tensors saved with torch.save")
    try:
        batch = torch.load(path, weights_only=True)
    except Exception as e:  # not a torch file, or pickled objects weights_only refuses
        raise CheckupError(f"cannot load {path} ({_first_line(e)}); expected a dict of tensors saved with "
                           "torch.save") from None
    if not isinstance(batch, dict) or not all(isinstance(v, torch.Tensor) for v in batch.values()):
        raise CheckupError(f"{path} holds {type(batch).__name__}, not a dict of tensors; save "
                           "{'input_ids': ..., 'labels': ..., 'attention_mask': ...} with torch.save")
    return batch
