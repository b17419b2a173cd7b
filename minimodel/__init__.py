"""minimodel: a tiny GPT with named seams (this folder), and the lab around it (catalogue/, harness/, classroom/, ...).

docs/contributors/layout.md maps every module; tests/test_layout.py keeps the layers apart.
"""
from minimodel import settings as _settings

__version__ = "0.1.0"

_settings.apply_isa()  # MINIMODEL_ISA: the kernels' instruction set, set before anything imports torch


def _checkout_breaks() -> None:
    """In a checkout, breaks/ beside this folder (the folder contributors edit) is the package minimodel.breaks,
    as it is in an installed wheel; so a checkout run from PYTHONPATH finds its own breaks, not another's."""
    import importlib.util
    import sys

    root = _settings.checkout()
    if root is None or "minimodel.breaks" in sys.modules:
        return  # installed: minimodel/breaks/ is a plain subpackage
    folder = root / "breaks"
    spec = importlib.util.spec_from_file_location("minimodel.breaks", folder / "__init__.py",
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["minimodel.breaks"] = module
    spec.loader.exec_module(module)


_checkout_breaks()
