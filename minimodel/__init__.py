"""minimodel: a tiny GPT with named seams (this folder), and the lab around it (catalogue/, harness/, classroom/, ...).

docs/contributors/layout.md maps every module; tests/test_layout.py keeps the layers apart.
"""
from minimodel import settings as _settings

__version__ = "0.1.0"

_settings.apply_isa()  # MINIMODEL_ISA: the kernels' instruction set, set before anything imports torch
