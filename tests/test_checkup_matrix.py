"""The lab's breaks prove the checkup: each break in the lab's GPT or its collator trips its own checks and no other."""
import dataclasses

import pytest
import torch

from minimodel import checkup, seams
from minimodel.catalogue import find_break, load_catalogue
from minimodel.harness import checkup_matrix
from minimodel.harness.checkup_matrix import COLUMNS, MATRIX, OUTSIDE
from minimodel.model import GPT, preset
from minimodel.probes import record_attention

CATALOGUE = load_catalogue()
ROWS = {r.tag: r for r in MATRIX}


def test_every_break_is_in_the_matrix_or_outside_it_with_a_reason():
    tags = [b.tag for b in CATALOGUE]
    assert sorted(tags) == sorted([*ROWS, *OUTSIDE]), "place the break in minimodel/harness/checkup_matrix.py"
    assert not set(ROWS) & set(OUTSIDE)
    assert all(set(r.trips + r.may_trip) <= set(COLUMNS) and r.trips and (r.because or not r.may_trip)
               for r in MATRIX)


@pytest.mark.parametrize("brk", CATALOGUE, ids=lambda b: b.tag)
def test_each_break_trips_its_own_checks_and_no_other(brk):
    fired = checkup_matrix.tripped(brk)
    row = ROWS.get(brk.tag)
    if row is None:
        assert fired == set(), f"{brk.tag} is outside the matrix ({OUTSIDE[brk.tag]}), yet {sorted(fired)} fired"
        return
    assert set(row.trips) <= fired, f"{brk.tag} did not trip {sorted(set(row.trips) - fired)}"
    assert fired <= set(row.trips + row.may_trip), f"{brk.tag} also tripped {sorted(fired - set(row.trips))}"


def test_the_healthy_gpt_and_collators_trip_nothing():
    for recipe in sorted({b.recipe for b in CATALOGUE}):
        healthy = dataclasses.replace(find_break("broken-no-mask"), replaces={}, recipe=recipe)
        assert checkup_matrix.tripped(healthy) == set(), recipe


def test_a_padding_query_with_no_key_fires_left_padding_where_attention_gives_nan():
    """broken-padding-mask-nan is outside the matrix because the fused kernel hides it; on the manual attention
    path (taken while attention weights are recorded) its NaN reaches the real tokens, and left_padding fires."""
    torch.manual_seed(0)
    model = GPT(preset("small", vocab_size=16))
    brk = find_break("broken-padding-mask-nan")
    with seams.replaced(brk.replaces, brk.tag), record_attention(model):
        report = checkup.model(model, 16, seq_len=16, checks="left_padding")
    assert report["padded_logits_differ"].fired and "not a finite number" in report["padded_logits_differ"].summary
    with record_attention(model):
        assert not checkup.model(model, 16, seq_len=16, checks="left_padding").fired


def test_the_checkup_page_shows_the_matrix():
    from minimodel.harness.measurements import CHECKUP_PAGE, ROOT

    assert checkup_matrix.markdown(CATALOGUE) in (ROOT / CHECKUP_PAGE).read_text(), "run: just catalogue"
