"""Sealed predictions: a learner's answers, saved with the time they were sealed and their digest."""
from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break, Question
from minimodel.harness.checkpoints import now, write_json

FORMAT = 1
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class PredictionError(ValueError):
    """A bad learner name, bad answers or a damaged prediction file: the message says what to do."""


def check_learner(name: str) -> str:
    """The name itself when it is safe as one folder name under learners/, else a PredictionError."""
    if not isinstance(name, str) or not name.strip():
        raise PredictionError("the learner name is empty; pass one such as --learner ada")
    if "/" in name or "\\" in name or ".." in name:
        raise PredictionError(f"learner name {name!r} contains a path separator or '..'; "
                              "use letters, digits, '.', '_' and '-' only")
    if name.startswith("."):
        raise PredictionError(f"learner name {name!r} starts with a dot; start it with a letter or digit")
    if not _NAME.fullmatch(name):
        raise PredictionError(f"learner name {name!r} is not allowed; use 1-64 of letters, digits, "
                              "'.', '_' and '-'")
    return name


def learner_folder(learner: str, root: Path | None = None) -> Path:
    return (root if root is not None else settings.learners_root()) / check_learner(learner)


def prediction_path(learner: str, brk: Break, root: Path | None = None) -> Path:
    return learner_folder(learner, root) / f"{brk.tag}.prediction.json"


def hints_path(learner: str, brk: Break, root: Path | None = None) -> Path:
    return learner_folder(learner, root) / f"{brk.tag}.hints.json"


def run_log_path(learner: str, tag: str, root: Path | None = None) -> Path:
    """Every run started for this learner and tag, oldest first (the run folder keeps only the last)."""
    return learner_folder(learner, root) / f"{tag}.runs.json"


def learner_run_folder(learner: str, tag: str, root: Path | None = None) -> Path:
    """learners/<name>/runs/<tag>/: where a learner's runs go, so two learners never overwrite each other."""
    return learner_folder(learner, root) / "runs" / tag


def digest(learner: str, tag: str, answers: dict) -> str:
    """sha256 of the canonical JSON of the answers, the break's tag and the learner."""
    canonical = json.dumps({"answers": answers, "break": tag, "learner": learner},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=True)
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


def seal(learner: str, brk: Break, answers: dict, root: Path | None = None) -> dict:
    """Check the answers and add them as a new sealed version; earlier versions are kept, never replaced.

    Sealing the same answers as the version in force adds nothing and returns that version."""
    path = prediction_path(learner, brk, root)
    answers = check_answers(brk, answers)
    versions = history(learner, brk, root)
    d = digest(learner, brk.tag, answers)
    if versions and versions[-1]["digest"] == d:
        return versions[-1]
    version = {"revision": len(versions) + 1, "answers": answers, "sealed_at": now(), "digest": d}
    write_json(path, {"format": FORMAT, "learner": learner, "break": brk.tag, "versions": versions + [version]})
    return version


def _read_list(path: Path) -> list:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, list):
        raise PredictionError(f"{path} is damaged (not a JSON list); move it aside and try again")
    return data


def record_hint(learner: str, brk: Break, level: int, root: Path | None = None) -> None:
    """Note that the learner revealed hint number `level` (1 = the first, vaguest hint)."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(brk.hints):
        raise PredictionError(f"hint level must be 1 to {len(brk.hints)} for {brk.tag}, got {level!r}")
    path = hints_path(learner, brk, root)
    write_json(path, _read_list(path) + [{"level": level, "revealed_at": now()}])


def hints(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    return _read_list(hints_path(learner, brk, root))


def log_run(learner: str, tag: str, entry: dict, root: Path | None = None) -> None:
    """Append one run to learners/<name>/<tag>.runs.json (a damaged log is restarted, not trusted)."""
    path = run_log_path(learner, tag, root)
    try:
        entries = _read_list(path)
    except PredictionError:
        entries = [{"note": "the earlier log was damaged and restarted", "at": now()}]
    write_json(path, entries + [entry])


def in_force_stamp(learner: str, brk: Break | None, root: Path | None = None) -> dict | None:
    """What a run records about the prediction in force: its digest, seal time and revision (or None)."""
    if brk is None:
        return None
    v = current(learner, brk, root)
    return None if v is None else {"digest": v["digest"], "sealed_at": v["sealed_at"],
                                   "revision": v.get("revision")}
