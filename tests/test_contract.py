"""The break contract, through the same checker as `just check`: every break, three seeds."""
import pytest

from minimodel.catalogue import load_catalogue, metadata_problems
from minimodel.checker import contract_problems

SEEDS = (0, 1, 2)
CATALOGUE = load_catalogue()


@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_metadata_complete(brk):
    assert metadata_problems(brk) == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_symptom_fires_under_break_and_clears_with_fix(brk, seed):
    assert contract_problems(brk, seed) == []
