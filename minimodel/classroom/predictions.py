"""Sealed predictions: a learner's answers, saved with the time they were sealed and their digest."""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

from minimodel.catalogue import Break, Question
from minimodel.classroom.learners import LearnerError, prediction_path
from minimodel.harness.checkpoints import now, write_json

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
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


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


def check_answers(brk: Break, answers: dict) -> dict:
    """Every question answered, nothing else, each answer of the question's kind (canonical form)."""
    if not isinstance(answers, dict):
        raise PredictionError(f"answers must be a mapping of question id to answer, got {type(answers).__name__}")
    ids = [q.id for q in brk.questions]
    unknown = [k for k in answers if k not in ids]
    if unknown:
        raise PredictionError(f"{brk.tag} has no question(s) {', '.join(map(str, unknown))}; "
                              f"its questions are: {', '.join(ids)}")
    missing = [i for i in ids if i not in answers]
    if missing:
        raise PredictionError(f"unanswered question(s) for {brk.tag}: {', '.join(missing)}")
    return {q.id: _check_answer(q, answers[q.id]) for q in brk.questions}


def check_confidence(brk: Break, confidence) -> dict:
    """A confidence for every question, each one of CONFIDENCE (canonical: lower case)."""
    choose = "give each question one of " + ", ".join(CONFIDENCE)
    if not isinstance(confidence, dict):
        raise PredictionError(f"confidence must be a mapping of question id to confidence; {choose}")
    ids = [q.id for q in brk.questions]
    unknown = [str(k) for k in confidence if k not in ids]
    if unknown:
        raise PredictionError(f"confidence for unknown question(s) {', '.join(unknown)}; "
                              f"the questions are: {', '.join(ids)}")
    missing = [i for i in ids if i not in confidence]
    if missing:
        raise PredictionError(f"missing confidence for {', '.join(missing)}; {choose}")
    out = {}
    for qid in ids:
        value = confidence[qid]
        level = value.strip().lower() if isinstance(value, str) else None
        if level not in CONFIDENCE:
            raise PredictionError(f"{qid}: confidence {value!r} is not one of {', '.join(CONFIDENCE)}")
        out[qid] = level
    return out


def read_file(path: Path, learner: str | None = None, tag: str | None = None) -> dict:
    """A prediction file's content after checking its shape; PredictionError says what is wrong."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PredictionError(f"{path} is not readable JSON ({str(e).splitlines()[0][:100]}); "
                              "move it aside and seal the prediction again") from None
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list) or not versions:
        raise PredictionError(f"{path} has no sealed versions; move it aside and seal the prediction again")
    for i, v in enumerate(versions, 1):
        if not (isinstance(v, dict) and isinstance(v.get("answers"), dict)
                and isinstance(v.get("sealed_at"), str) and isinstance(v.get("digest"), str)):
            raise PredictionError(f"{path}: version {i} lacks answers, sealed_at or digest; "
                                  "move the file aside and seal the prediction again")
    for key, want in (("learner", learner), ("break", tag)):
        if want is not None and data.get(key) != want:
            raise PredictionError(f"{path} says {key} {data.get(key)!r}, expected {want!r}")
    return data


def history(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    """Every sealed version, oldest first (empty when the learner has sealed nothing for this break)."""
    path = prediction_path(learner, brk, root)
    return read_file(path, learner, brk.tag)["versions"] if path.exists() else []


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
