"""Seams: a replacement is installed and removed cleanly, clashes and bad signatures are refused."""
import pytest
import torch

from minimodel import seams
from minimodel.catalogue import load_catalogue, seams_of


def no_mask(T, device="cpu"):
    return torch.ones(T, T, dtype=torch.bool, device=device)


def test_replaced_installs_then_restores_even_on_error():
    with pytest.raises(RuntimeError):
        with seams.replaced({"causal_mask": no_mask}):
            assert not seams.is_healthy("causal_mask")
            assert seams.causal_mask(3).all()
            raise RuntimeError("boom")
    assert seams.is_healthy("causal_mask")
    assert not seams.causal_mask(3).triu(1).any()


def test_two_replacements_of_one_seam_are_refused():
    with seams.replaced({"causal_mask": no_mask}, owner="broken-a"):
        with pytest.raises(seams.SeamError, match="broken-b and broken-a both replace the seam 'causal_mask'"):
            with seams.replaced({"causal_mask": no_mask}, owner="broken-b"):
                pass


def test_catalogue_refuses_two_breaks_on_one_seam():
    brk = load_catalogue()[0]
    with pytest.raises(seams.SeamError, match="both replace the seam"):
        seams_of([brk, brk])


def test_signature_and_name_are_checked():
    with pytest.raises(seams.SeamError, match="must take"):
        seams.check_replacement("causal_mask", lambda n: None)
    with pytest.raises(seams.SeamError, match="unknown seam"):
        seams.check_replacement("no_such_seam", no_mask)


def test_library_never_asks_which_break_is_on():
    """No `if cfg.bug_x:`: the core never imports the catalogue nor names a break."""
    from pathlib import Path

    core = ["model", "seams", "data", "tasks", "tokenizer", "train", "evaluate", "probes", "detectors",
            "runner", "plots", "recipes"]
    names = {b.id for b in load_catalogue()} | {b.tag for b in load_catalogue()}
    for module in core:
        source = (Path("minimodel") / f"{module}.py").read_text()
        assert "import breaks" not in source and "from breaks" not in source, module
        assert not [n for n in names if n in source], module
    assert not [p for p in Path("minimodel").glob("*.py") if "bug_" in p.read_text()]
