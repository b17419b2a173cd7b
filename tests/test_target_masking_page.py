"""The target-masking page is the one its saved cells generate, and every claim counts its seeds."""
import dataclasses

from minimodel.harness.target_masking_page import PAGE, Cells, claims, render, state
from minimodel.harness.target_masking_report import MASKS, RESULTS, Cell, load_results


def test_the_committed_page_is_generated_from_the_saved_cells():
    assert PAGE.read_text() == render(load_results(RESULTS)), "the page is outdated: run `just report-page`"


def _cell(mask, seed, val_ar, curve_end, val_loss=0.6, ignored=0.0):
    curve = tuple((250 * (i + 1), v) for i, v in enumerate([0.01] * 6 + list(curve_end)))
    return Cell("block 16, 9:1", mask, seed, 2000, (0.6, val_loss, val_ar, val_ar, val_ar, val_ar), ignored, curve,
                (0, 0), 1, "AVX512", 100.0, "2026-12-06T00:00:00+00:00")


def test_a_stuck_run_is_counted_apart_and_claims_carry_their_counts():
    seed3 = [_cell("whole stream", 3, 0.85, (0.845, 0.85), 1.3), _cell("per-block mask", 3, 0.197, (0.10, 0.18), 0.907,
                                                                       0.138),
             _cell("correct mask", 3, 0.88, (0.84, 0.88), 0.613)]
    assert [state(c) for c in seed3] == ["plateau", "stuck", "rising"]
    seed0 = [dataclasses.replace(c, seed=0, ar_curve=c.ar_curve[:-1] + ((2000, 0.9),), values=c.values[:5] + (0.9,))
             for c in seed3]
    text = "\n".join(claims(Cells(seed3 + seed0)))
    assert "on 2 of 2 seeds" in text  # the per-block loss is lower on both
    assert "on the 1 of 2 seeds where both learned" in text  # seed 3's stuck run is left out of the comparison
    assert "per-block mask 1 of 2" in text and "correct mask 0 of 2" in text  # ... and counted as stuck


def test_every_mask_of_the_report_is_a_column():
    data = load_results(RESULTS)
    assert {c["mask"] for c in data["cells"]} <= set(MASKS)
