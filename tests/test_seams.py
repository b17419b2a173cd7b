"""Seams: a replacement is installed and removed cleanly, clashes and bad signatures are refused."""
import functools
import inspect
import linecache
import types

import pytest
import torch
import torch.nn.functional as F

from minimodel import seams
from minimodel.catalogue import load_catalogue
from minimodel.model import GPT, preset


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


def test_two_breaks_on_one_seam_are_refused():
    no_mask_break, off_by_one = (b for b in load_catalogue() if b.tag in ("broken-no-mask", "broken-mask-off-by-one"))
    with seams.replaced(no_mask_break.replaces, owner=no_mask_break.tag):
        with pytest.raises(seams.SeamError, match="both replace the seam"):
            with seams.replaced(off_by_one.replaces, owner=off_by_one.tag):
                pass


def test_signature_and_name_are_checked():
    with pytest.raises(seams.SeamError, match="must take"):
        seams.check_replacement("causal_mask", lambda n: None)
    with pytest.raises(seams.SeamError, match="unknown seam"):
        seams.check_replacement("no_such_seam", no_mask)


def test_library_never_asks_which_break_is_on():
    """No `if cfg.bug_x:`: the core never imports the catalogue nor names a break."""
    from pathlib import Path

    core = ["model", "seams", "data", "tasks", "tokenizer", "train", "evaluate", "probes", "detectors",
            "metrics", "plots", "recipes"]
    names = {b.id for b in load_catalogue()} | {b.tag for b in load_catalogue()}
    for module in core:
        source = (Path("minimodel") / f"{module}.py").read_text()
        assert "import breaks" not in source and "from breaks" not in source, module
        assert not [n for n in names if n in source], module
    assert not [p for p in Path("minimodel").rglob("*.py") if "bug_" in p.read_text()]


def _raising_like(name):
    """A replacement with the seam's signature that fails loudly if anything calls it."""
    def boom(*args, **kwargs):
        raise AssertionError(f"{name} was called")
    return functools.wraps(seams.REGISTRY[name].healthy)(boom)


def test_evaluation_only_seams_are_never_called_in_training():
    from minimodel.recipes import get_recipe
    from minimodel.harness.runner import run_data
    from minimodel.train import train

    names = [n for n, s in seams.REGISTRY.items() if s.evaluation_only]
    assert {"pick_next_token", "generation_budget"} <= set(names)
    for recipe_name in ("rows-all", "padded-rows"):
        recipe = get_recipe(recipe_name, steps=3)
        with seams.replaced({n: _raising_like(n) for n in names}):
            task, train_data, _, _ = run_data(recipe, seed=0)
            model = GPT(preset(recipe.model, vocab_size=task.tokenizer.vocab_size, block_size=recipe.block_size))
            train(model, train_data.sample, recipe)


def test_remeasuring_a_trained_run_equals_training_under_an_evaluation_seam():
    from minimodel.recipes import get_recipe
    from minimodel.harness.runner import execute, remeasure

    def second_to_last(logits):
        return logits[:, -2, :].argmax(dim=-1)

    recipe = get_recipe("rows-all", steps=30, eval_prompts=60)
    control = execute(recipe, seed=3)
    trained = execute(recipe, seed=3, replacements={"pick_next_token": second_to_last})
    again = remeasure(control, {"pick_next_token": second_to_last})
    assert again.metrics["ar"] == trained.metrics["ar"] and again.metrics["ar"] != control.metrics["ar"]
    assert again.train_losses == trained.train_losses
    with pytest.raises(ValueError, match="evaluation-only"):
        remeasure(control, {"causal_mask": no_mask})


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """My own words: a notebook's fix, written at the top level as a learner writes it."""
    return F.dropout(x, p, training)


def off_by_one(T: int, device="cpu") -> torch.Tensor:
    return torch.ones(T, T, dtype=torch.bool, device=device).tril(diagonal=1)


def kept_on(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    return F.dropout(x, p, True)


def test_a_fix_written_like_the_healthy_code_runs_the_healthy_code():
    """A fix with the healthy statements (any docstring) reading the same objects is the healthy code; any other
    change is not."""
    assert seams.runs_healthy_code("dropout", dropout) and seams.not_healthy({"dropout": dropout}) == {}
    assert not seams.runs_healthy_code("causal_mask", off_by_one)
    assert not seams.runs_healthy_code("dropout", kept_on)
    assert not seams.runs_healthy_code("causal_mask", dropout)  # another seam's healthy code
    for brk in load_catalogue():
        assert seams.not_healthy(brk.replaces) == brk.replaces  # every break's function really differs

    # the healthy code word for word, as a notebook cell with its imports, then F rebound to something else
    source = "import torch\nimport torch.nn.functional as F\n" + "".join(
        line for line in inspect.getsourcelines(seams.REGISTRY["dropout"].healthy)[0] if not line.startswith("@"))
    linecache.cache["<cell>"] = (len(source), None, source.splitlines(True), "<cell>")  # as IPython keeps a cell
    namespace = {}
    exec(compile(source, "<cell>", "exec"), namespace)
    assert seams.runs_healthy_code("dropout", namespace["dropout"])
    namespace["F"] = types.SimpleNamespace(dropout=lambda x, p, training: x)
    assert not seams.runs_healthy_code("dropout", namespace["dropout"])
