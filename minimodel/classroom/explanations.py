"""Explanations: what a learner writes after observing a run, sealed as its own record (text, time, digest)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from minimodel.catalogue import Break
from minimodel.classroom.learners import LearnerError, explanation_path, read_list, run_log_path
from minimodel.classroom.predictions import FORMAT, PredictionError
from minimodel.harness.checkpoints import now, write_json

MAX_CHARS = 10_000


def digest(learner: str, tag: str, text: str) -> str:
    """sha256 of the canonical JSON of the text, the break's tag and the learner."""
    canonical = json.dumps({"break": tag, "explanation": text, "learner": learner},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def read_file(path: Path, learner: str | None = None, tag: str | None = None) -> dict:
    """An explanation file's content after checking its shape; PredictionError says what is wrong."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PredictionError(f"{path} is not readable JSON ({str(e).splitlines()[0][:100]}); "
                              "move it aside and seal the explanation again") from None
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list) or not versions or not all(
            isinstance(v, dict) and isinstance(v.get("text"), str) and isinstance(v.get("sealed_at"), str)
            and isinstance(v.get("digest"), str) for v in versions):
        raise PredictionError(f"{path}: not a list of sealed explanations (text, sealed_at, digest); "
                              "move it aside and seal the explanation again")
    for key, want in (("learner", learner), ("break", tag)):
        if want is not None and data.get(key) != want:
            raise PredictionError(f"{path} says {key} {data.get(key)!r}, expected {want!r}")
    return data


def history(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    path = explanation_path(learner, brk, root)
    return read_file(path, learner, brk.tag)["versions"] if path.exists() else []


def last_run_started(learner: str, brk: Break, root: Path | None = None) -> str | None:
    """When the learner's latest run of this break started (None: no run yet)."""
    try:
        log = read_list(run_log_path(learner, brk.tag, root))
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
