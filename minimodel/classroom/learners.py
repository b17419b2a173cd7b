"""Learners' folders: a safe folder name per learner, the files in it, the hint log and the run log."""
from __future__ import annotations

import re
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break
from minimodel.classroom.records import SUFFIXES, read_list, shown
from minimodel.files import now, write_json

_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class LearnerError(ValueError):
    """A bad learner name, bad answers or a damaged file in a learner's folder: the message says what to do."""


def check_learner(name: str) -> str:
    """The name itself when it is safe as one folder name under learners/, else a LearnerError."""
    if not isinstance(name, str) or not name.strip():
        raise LearnerError("the learner name is empty; pass one such as --learner ada")
    if "/" in name or "\\" in name or ".." in name:
        raise LearnerError(f"learner name {shown(name)} contains a path separator or '..'; "
                           "use letters, digits, '.', '_' and '-' only")
    if name.startswith("."):
        raise LearnerError(f"learner name {shown(name)} starts with a dot; start it with a letter or digit")
    if not _NAME.fullmatch(name):
        raise LearnerError(f"learner name {shown(name)} is not allowed; use 1-64 of letters, digits, "
                           "'.', '_' and '-'")
    return name


def learner_folder(learner: str, root: Path | None = None) -> Path:
    return (root if root is not None else settings.learners_root()) / check_learner(learner)


def prediction_path(learner: str, brk: Break, root: Path | None = None) -> Path:
    return learner_folder(learner, root) / f"{brk.tag}{SUFFIXES['prediction']}"


def explanation_path(learner: str, brk: Break, root: Path | None = None) -> Path:
    return learner_folder(learner, root) / f"{brk.tag}{SUFFIXES['explanation']}"


def hints_path(learner: str, brk: Break, root: Path | None = None) -> Path:
    return learner_folder(learner, root) / f"{brk.tag}{SUFFIXES['hints']}"


def run_log_path(learner: str, tag: str, root: Path | None = None) -> Path:
    """Every run started for this learner and tag, oldest first (the run folder keeps only the last)."""
    return learner_folder(learner, root) / f"{tag}{SUFFIXES['runs']}"


def fixes_path(learner: str, brk: Break, root: Path | None = None) -> Path:
    """Every fix the learner verified for this break, oldest first, and whether it cleared the symptom."""
    return learner_folder(learner, root) / f"{brk.tag}{SUFFIXES['fixes']}"


def learner_run_folder(learner: str, tag: str, root: Path | None = None) -> Path:
    """learners/<name>/runs/<tag>/: where a learner's runs go, so two learners never overwrite each other."""
    return learner_folder(learner, root) / "runs" / tag


def record_hint(learner: str, brk: Break, level: int, root: Path | None = None) -> None:
    """Note that the learner revealed hint number `level` (1 = the first, vaguest hint)."""
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= len(brk.hints):
        raise LearnerError(f"hint level must be 1 to {len(brk.hints)} for {brk.tag}, got {level!r}")
    path = hints_path(learner, brk, root)
    write_json(path, read_list(path, LearnerError) + [{"level": level, "revealed_at": now()}])


def hints(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    return read_list(hints_path(learner, brk, root), LearnerError)


def record_fix(learner: str, brk: Break, fixed: bool, still_firing: list[str], root: Path | None = None) -> None:
    """Append one verified fix to learners/<name>/<tag>.fixes.json (a damaged log is restarted, as a run log is)."""
    path = fixes_path(learner, brk, root)
    try:
        entries = read_list(path, LearnerError)
    except LearnerError:
        entries = [{"note": "the earlier log was damaged and restarted", "at": now()}]
    write_json(path, entries + [{"fixed": fixed, "still_firing": still_firing, "verified_at": now()}])


def fixes(learner: str, brk: Break, root: Path | None = None) -> list[dict]:
    return read_list(fixes_path(learner, brk, root), LearnerError)


def log_run(learner: str, tag: str, entry: dict, root: Path | None = None) -> None:
    """Append one run to learners/<name>/<tag>.runs.json (a damaged log is restarted, not trusted)."""
    path = run_log_path(learner, tag, root)
    try:
        entries = read_list(path, LearnerError)
    except LearnerError:
        entries = [{"note": "the earlier log was damaged and restarted", "at": now()}]
    write_json(path, entries + [entry])
