"""The break contract, through the same checker as `just check`: every break on seed 0; every recipe's control.

The detectors' side of the contract holds with a margin on any machine, and so does each recipe's
competence (`minimodel.competence`: the bar reached by two thirds of the steps, clearly passed at the end). `just test`
runs the competence test a second time under an emulated instruction set (MINIMODEL_ISA=avx2), as
another CPU would round. Seed 0 is the seed the notebooks run, so nbval reads these runs from the cache;
`just check --seeds 0-9` (at 1 and 2 threads, under MINIMODEL_ISA) is the full matrix, and what it measured
is committed under docs/measurements/check/.
"""
import pytest

from minimodel import competence
from minimodel.harness.calibrate import recipes_in_use
from minimodel.catalogue import load_catalogue, metadata_problems
from minimodel.harness.checker import contract_problems
from minimodel.recipes import get_recipe
from minimodel.harness.verdict import healthy_control

SEEDS = (0,)
CATALOGUE = load_catalogue()


@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_metadata_complete(brk):
    assert metadata_problems(brk) == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_symptom_fires_under_break_and_clears_with_fix(brk, seed):
    assert contract_problems(brk, seed, with_competence=False) == []


@pytest.mark.parametrize("recipe", recipes_in_use())
def test_healthy_control_is_competent_with_the_margin(recipe):
    control = healthy_control(get_recipe(recipe), seed=0)
    assert competence.problems(control.metrics) == []
