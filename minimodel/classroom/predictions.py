"""Sealed predictions: a learner's answers, saved with the time they were sealed and their digest."""
from __future__ import annotations

import math
from pathlib import Path

from minimodel.catalogue import Break, Question
from minimodel.classroom import records
from minimodel.classroom.learners import LearnerError, prediction_path
from minimodel.files import now, write_json

FORMAT = 1
CONFIDENCE = ("low", "medium", "high")  # how sure the learner is of each answer, sealed with it


class PredictionError(LearnerError):
    """Bad answers or a damaged prediction file: the message says what to do."""


def digest(learner: str, tag: str, answers: dict, confidence: dict | None = None) -> str:
    """sha256 of the canonical JSON of the answers (and their confidence, when sealed with one), the break's
    tag and the learner."""
    body = {"answers": answers, "break": tag, "learner": learner}
    if confidence is not None:
        body["confidence"] = confidence
    return records.digest(body)


def _check_answer(q: Question, value):
    """The answer in its canonical form, or a PredictionError naming the question."""
    if q.kind == "choice":
        if isinstance(value, str):
            for option in q.options:
                if value.strip().lower() == option.lower():
                    return option
        raise PredictionError(f"{q.id}: {value!r} is not one of the options: "
                              + " | ".join(repr(o) for o in q.options))
    if q.kind == "number":
        try:
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise PredictionError(f"{q.id}: {value!r} is not a number; answer with a number such as 40")
        return int(number) if number.is_integer() else number
    if not isinstance(value, str):
        raise PredictionError(f"{q.id}: the explanation must be text, got {type(value).__name__}")
    return value.strip()


def _one_each(brk: Break, given: dict, unknown, missing) -> None:
    """An entry of `given` for every question of the break, no other; else PredictionError(unknown(the extra ids))
    or PredictionError(missing(the absent ones))."""
    ids = [q.id for q in brk.questions]
    extra = [str(k) for k in given if k not in ids]
    if extra:
        raise PredictionError(f"{unknown(', '.join(extra))}; the questions are: {', '.join(ids)}")
    absent = [i for i in ids if i not in given]
    if absent:
        raise PredictionError(missing(", ".join(absent)))


def check_answers(brk: Break, answers: dict) -> dict:
    """Every question answered, nothing else, each answer of the question's kind (canonical form)."""
    if not isinstance(answers, dict):
        raise PredictionError(f"answers must be a mapping of question id to answer, got {type(answers).__name__}")
    _one_each(brk, answers, lambda ids: f"{brk.tag} has no question(s) {ids}",
              lambda ids: f"unanswered question(s) for {brk.tag}: {ids}")
    return {q.id: _check_answer(q, answers[q.id]) for q in brk.questions}


def check_confidence(brk: Break, confidence) -> dict:
    """A confidence for every question, each one of CONFIDENCE (canonical: lower case)."""
    choose = "give each question one of " + ", ".join(CONFIDENCE)
    if not isinstance(confidence, dict):
        raise PredictionError(f"confidence must be a mapping of question id to confidence; {choose}")
    _one_each(brk, confidence, lambda ids: f"confidence for unknown question(s) {ids}",
              lambda ids: f"missing confidence for {ids}; {choose}")
    out = {}
    for q in brk.questions:
        value = confidence[q.id]
        level = value.strip().lower() if isinstance(value, str) else None
        if level not in CONFIDENCE:
            raise PredictionError(f"{q.id}: confidence {value!r} is not one of {', '.join(CONFIDENCE)}")
        out[q.id] = level
    return out


VERSION = {"answers": dict, "sealed_at": str, "digest": str}  # what every sealed version holds, of these types


def history(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    """Every sealed version, oldest first (empty when the learner has sealed nothing for this break)."""
    return records.read_versions(prediction_path(learner, brk, root), VERSION, learner, brk.tag, PredictionError,
                                 "seal the prediction again")


def current(learner: str, brk: Break, root: Path | None = None) -> dict | None:
    """The version in force (the latest sealed), or None."""
    versions = history(learner, brk, root)
    return versions[-1] if versions else None


def seal(learner: str, brk: Break, answers: dict, root: Path | None = None, confidence: dict | None = None) -> dict:
    """Check the answers (and a confidence per question, when given) and add them as a new sealed version;
    earlier versions are kept, never replaced.

    Sealing the same answers as the version in force adds nothing and returns that version."""
    path = prediction_path(learner, brk, root)
    answers = check_answers(brk, answers)
    confidence = None if confidence is None else check_confidence(brk, confidence)
    versions = history(learner, brk, root)
    d = digest(learner, brk.tag, answers, confidence)
    if versions and versions[-1]["digest"] == d:
        return versions[-1]
    version = {"revision": len(versions) + 1, "answers": answers, "sealed_at": now(), "digest": d}
    if confidence is not None:
        version["confidence"] = confidence
    write_json(path, {"format": FORMAT, "learner": learner, "break": brk.tag, "versions": versions + [version]})
    return version


def in_force_stamp(learner: str, brk: Break | None, root: Path | None = None) -> dict | None:
    """What a run records about the prediction in force: its digest, seal time and revision (or None)."""
    if brk is None:
        return None
    v = current(learner, brk, root)
    return None if v is None else {"digest": v["digest"], "sealed_at": v["sealed_at"],
                                   "revision": v.get("revision")}
