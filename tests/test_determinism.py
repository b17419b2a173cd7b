"""Same seed, config and thread count: the same numbers, twice."""
from minimodel.recipes import get_recipe
from minimodel.harness.runner import execute


def test_same_seed_same_numbers():
    recipe = get_recipe("rows-all", steps=20, eval_prompts=50)
    a, b = execute(recipe, seed=7), execute(recipe, seed=7)
    assert a.train_losses == b.train_losses
    assert a.metrics["tf"] == b.metrics["tf"] and a.metrics["ar"] == b.metrics["ar"]
    c = execute(recipe, seed=8)
    assert c.train_losses != a.train_losses
