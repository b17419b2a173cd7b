"""Explanations: what a learner writes after observing a run, sealed as its own record (text, time, digest)."""
from __future__ import annotations

from pathlib import Path

from minimodel.catalogue import Break
from minimodel.classroom import records
from minimodel.classroom.learners import LearnerError, explanation_path, run_log_path
from minimodel.classroom.predictions import FORMAT, PredictionError
from minimodel.files import now, write_json

MAX_CHARS = 10_000


def digest(learner: str, tag: str, text: str) -> str:
    """sha256 of the canonical JSON of the text, the break's tag and the learner."""
    return records.digest({"break": tag, "explanation": text, "learner": learner})


VERSION = {"text": str, "sealed_at": str, "digest": str}  # what every sealed explanation holds, of these types


def history(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    return records.read_versions(explanation_path(learner, brk, root), VERSION, learner, brk.tag, PredictionError,
                                 "seal the explanation again")


def last_run_started(learner: str, brk: Break, root: Path | None = None) -> str | None:
    """When the learner's latest run of this break started (None: no run yet)."""
    try:
        log = records.read_list(run_log_path(learner, brk.tag, root), LearnerError)
    except LearnerError:  # a damaged run log: the explanation follows no run we can name
        return None
    starts = [e["started_at"] for e in log if isinstance(e, dict) and isinstance(e.get("started_at"), str)]
    return max(starts) if starts else None


def seal(learner: str, brk: Break, text: str, root: Path | None = None) -> dict:
    """Seal an explanation as a new version (earlier ones kept); it records the run it follows, if any."""
    if not isinstance(text, str) or not text.strip():
        raise PredictionError("the explanation is empty; write what you observed and why, then save again")
    text = text.strip()
    if len(text) > MAX_CHARS:
        raise PredictionError(f"the explanation has {len(text):,} characters; keep it under {MAX_CHARS:,}")
    versions = history(learner, brk, root)
    d = digest(learner, brk.tag, text)
    if versions and versions[-1]["digest"] == d:
        return versions[-1]
    version = {"revision": len(versions) + 1, "text": text, "sealed_at": now(), "digest": d,
               "after_run": last_run_started(learner, brk, root)}
    write_json(explanation_path(learner, brk, root),
               {"format": FORMAT, "learner": learner, "break": brk.tag, "versions": versions + [version]})
    return version
