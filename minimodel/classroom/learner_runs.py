"""A run for a learner: into learners/<name>/runs/<tag>/, recording the sealed prediction in force and the run log."""
from __future__ import annotations

from pathlib import Path

from minimodel import settings
from minimodel.catalogue import load_catalogue
from minimodel.classroom.learners import LearnerError, check_learner, learner_run_folder, log_run
from minimodel.classroom.predictions import in_force_stamp
from minimodel.harness.experiments import UsageError, break_for_tag, train_into
from minimodel.harness.verdict import Verdict


def run_folder(tag: str, learner: str | None = None) -> Path:
    """runs/<tag>/, or learners/<name>/runs/<tag>/ for a learner's run."""
    if learner is None:
        return settings.runs_root() / tag
    try:
        return learner_run_folder(learner, tag)
    except LearnerError as e:
        raise UsageError(str(e)) from None


def train_for_learner(tag: str, steps: int | None = None, seed: int = 0, recipe_name: str | None = None,
                      echo=print, *, learner: str) -> Verdict:
    """17-train-mini for a learner: the manifest records the learner and the prediction in force at the start."""
    brk = break_for_tag(tag, load_catalogue())
    try:
        check_learner(learner)
    except LearnerError as e:
        raise UsageError(str(e)) from None
    stamp, problem = None, None
    try:
        stamp = in_force_stamp(learner, brk)
    except LearnerError as e:  # a damaged prediction file: run anyway, record that it was unreadable
        problem = str(e)
        echo(f"warning: {e}")
    if brk and stamp is None and problem is None:
        echo(f"note: no sealed prediction for {learner}; seal one first with: "
             f"minimodel predict {tag} --learner {learner}")
    extra = {"learner": learner, "prediction": stamp} | ({"prediction_problem": problem} if problem else {})
    out = train_into(brk, tag, steps, seed, recipe_name, echo, folder=learner_run_folder(learner, tag), extra=extra)
    log_run(learner, tag, {"started_at": out.manifest["started_at"], "finished_at": out.manifest["finished_at"],
                           "seed": seed, "steps": out.recipe.steps, "folder": str(out.folder), "prediction": stamp})
    return out
