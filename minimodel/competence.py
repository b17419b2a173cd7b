"""Healthy means competent, with a margin: the bar a healthy control must clear, how early, and by how much.

A verdict compares a break with a healthy control, and that comparison teaches something only when the
control has learned its task. A control that crosses the bar in its last steps is competent on one CPU and
not on the next: the kernels' rounding moves a seed's learning transition by hundreds of steps. So the
rule has the same margin as the symptoms' (`detectors.MARGIN`): the control must reach the bar by two
thirds of its recipe's steps, and end past it by half the distance from the bar to a perfect score. A
verdict's control ends there: it stops at the first measurement that meets both (`done`), and its break is
measured at the same step.
"""
from __future__ import annotations

import math

BAR = 0.95  # greedy (AR) exact match on held-out sums; on a memorised text, exact recall (a score of 1)
BY = 2 / 3  # ... reached by this fraction of the training steps
END_MARGIN = 0.5  # ... and at the end, past the bar by this share of the distance to a perfect score
CHECKS = 15  # a healthy run's score is measured this many times along its training, until it reaches the bar


def score(metrics: dict) -> float:
    """The task score: the worst recall prompt's share on a memorised text, else AR exact match."""
    if metrics.get("recall"):
        return min(p["correct_share"] for p in metrics["recall"])
    return metrics["ar"]["exact_match"]


def bars(recall: bool) -> tuple[float, float]:
    """(the bar to reach, the bar to end over); on a memorised text (`recall`), exact recall for both."""
    if recall:
        return 1.0, 1.0
    return BAR, BAR + END_MARGIN * (1 - BAR)


def every(steps: int) -> int:
    """How often (in steps) a healthy run of `steps` steps measures its score: every 100 steps of 1500."""
    return max(1, round(steps / CHECKS))


def done(score: float, reached: bool, recall: bool) -> bool:
    """Where a verdict's healthy control stops training (and its break with it, at the same step): at the first
    measurement at which it is competent with the margin, the bar reached and the score past the end bar."""
    return reached and score >= bars(recall)[1]


def deadline(steps: int) -> int:
    """The step by which a control of `steps` steps must have reached the bar."""
    return math.floor(steps * BY)


def problems(metrics: dict) -> list[str]:
    """Why a healthy run is not competent with the margin (empty when it is), numbers included."""
    bar, end_bar = bars(bool(metrics.get("recall")))
    what = "recall" if metrics.get("recall") else "AR exact match"
    steps, reached = metrics.get("schedule_steps", metrics["steps"]), metrics.get("steps_to_bar")
    out = []
    if reached is None or reached > deadline(steps):
        when = "never" if reached is None else f"only at step {reached}"
        out.append(f"{what} reached {bar:.0%} {when} of {steps}; the rule needs it by step {deadline(steps)} "
                   "(two thirds of the steps)")
    final = score(metrics)
    if final < end_bar:
        out.append(f"{what} {final:.1%} at the end; the rule needs >= {end_bar:.1%}")
    return out


def competent(metrics: dict) -> bool:
    """Competent with the margin: the bar reached by two thirds of the steps, and clearly passed at the end."""
    return not problems(metrics)
