"""Questions many breaks ask, written once: a declaration calls these instead of repeating them."""
from __future__ import annotations

from minimodel.catalogue.declaration import Findings, Question
from minimodel.metrics import Metrics

AR_EXACT_MATCH = "Greedy generation (AR) exact match on held-out sums, in percent?"


def _ar_percent(m: Metrics, _f: Findings) -> float:
    return 100 * m["ar"]["exact_match"]


def ar_exact_match(tolerance: float, default: float, text: str = AR_EXACT_MATCH) -> Question:
    """The share of held-out sums greedy generation gets exactly right, in percent, scored within `tolerance`."""
    return Question("ar_exact_match", text, tolerance=tolerance, observe=_ar_percent, default=default)


def detector_fired(qid: str, text: str, detector: str, yes: str, no: str, default: str) -> Question:
    """A choice of two options, observed as `yes` when `detector` fired on the run and `no` when it stayed quiet."""
    def observe(_m: Metrics, f: Findings) -> str:
        return yes if f[detector].fired else no
    return Question(qid, text, options=(yes, no), observe=observe, default=default, reads=detector)


def leak(default: str) -> Question:
    """Will the leak test fire: yes or no."""
    return detector_fired("leak", "Will the leak test (gradient from earlier logits to later inputs) fire?",
                          "leak_test", "yes", "no", default)


def explain(text: str) -> Question:
    """The free-text question every break ends with: graded by the instructor, never by a detector."""
    return Question("explain", text)
