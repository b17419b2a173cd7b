"""The break contract, through the same checker as `just check`: every break, three seeds.

The detectors' side of the contract holds with a margin on any machine. Whether each recipe's
healthy control learned its task on every seed 0-9 is `just check --seeds 0-9`'s job: how fast a
tiny model "gets" addition depends on the seed (and so on the CPU's float results), and a recipe
whose worst seed sits near the 95 % bar would flip here on another machine. CI checks competence on
the recipes that clear the bar on every seed by a wide margin.
"""
import pytest

from minimodel.harness.calibrate import competent
from minimodel.catalogue import load_catalogue, metadata_problems
from minimodel.harness.checker import contract_problems
from minimodel.recipes import get_recipe
from minimodel.harness.verdict import healthy_control

SEEDS = (0, 1, 2)
CATALOGUE = load_catalogue()


@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_metadata_complete(brk):
    assert metadata_problems(brk) == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_symptom_fires_under_break_and_clears_with_fix(brk, seed):
    assert contract_problems(brk, seed, competence=False) == []


@pytest.mark.parametrize("recipe", ["rows-all", "rows-answer", "padded-rows", "unpadded-rows", "memorise"])
def test_healthy_control_learns_its_task(recipe):
    """Seeds 0-9 at one thread: rows-all 97-100 %, rows-answer 96.8-100 %, padded-rows 97.5-100 %,
    unpadded-rows 97.5-100 %, memorise exact recall (packed-answer-16, 96.3-99.8 %, is left to `just check`)."""
    control = healthy_control(get_recipe(recipe), seed=0)
    assert competent(control.metrics), control.metrics["ar"]["exact_match"]
