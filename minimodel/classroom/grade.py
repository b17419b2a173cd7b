"""Grading: every learner x break x question, the sealed prediction against what the learner's run showed.

The gradebook's files (CSV and report) are written by minimodel.classroom.gradebook."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from minimodel.catalogue import BASELINE, Break, load_catalogue
from minimodel.classroom import records
from minimodel.classroom.learners import LearnerError, check_learner
from minimodel.classroom.drill_grade import drill_rows
from minimodel.classroom.explanations import digest as explanation_digest, history as explained
from minimodel.classroom.predictions import digest, history
from minimodel.harness.answer_keys import AnswerKeyError, load_answer_key
from minimodel.harness.findings import observe_one, score, stored_findings

COLUMNS = ["learner", "break", "question", "kind", "predicted", "observed", "tolerance", "score", "max_score",
           "graded_against", "revision_graded", "revisions", "sealed_at", "first_run_at", "sealed_before_run",
           "revised_after_run", "revised_answer", "missing", "hints_used", "digest_ok", "confidence",
           "explanation", "explained_after_run", "learning_event", "notes"]
BEST_EVENT = "confidently wrong, then explained"  # predict-observe-explain: where the learning happens
CONFIDENT = "high"  # the confidence that makes a wrong answer a confident mistake


class GradeError(ValueError):
    """Nothing to grade at all (no such folder): the message says what to pass instead."""


@dataclass
class Work:
    """What one learner left for one break: prediction versions, hints, runs (each maybe absent)."""
    learner: str
    brk: Break
    versions: list[dict] = field(default_factory=list)
    unreadable: str = ""  # why the prediction file could not be used
    explanations: list[dict] = field(default_factory=list)  # sealed after the run, oldest first
    hints: list[dict] | None = field(default_factory=list)  # None: the hints file was unreadable
    runs: list[dict] = field(default_factory=list)  # {started_at, prediction?} from the log and the manifest
    fixes: list[dict] | None = field(default_factory=list)  # fixes verified; None: the log was unreadable
    manifest: dict | None = None  # the learner's last run of this break, with findings


@dataclass
class Gradebook:
    rows: list[dict]
    problems: list[str]  # one line per file skipped or partly used
    learners: list[str]
    breaks: list[Break]
    sources: list[str] = field(default_factory=list)  # where each learner's seals came from
    drill_rows: list[dict] = field(default_factory=list)  # blind drills: one row per learner x id

    @property
    def graded(self) -> int:
        """Rows that carry a prediction (a class with none at all has nothing to grade)."""
        return sum(1 for r in self.rows if r["missing"] == "no" and r["predicted"] != "")


# ----------------------------------------------------------------------------------------------- reading

def _tag_of(path: Path, suffix: str, tags: dict[str, Break], problems: list[str]) -> Break | None:
    tag = path.name[: -len(suffix)]
    if tag == BASELINE:  # a learner's healthy baseline run: nothing was predicted, nothing to grade
        return None
    if tag not in tags:
        problems.append(f"{path}: unknown break {tag!r} (known: {', '.join(tags)}); file skipped")
        return None
    return tags[tag]


def _hints(path: Path, problems: list[str]) -> list[dict] | None:
    """The hints a learner revealed, or None when the file is unusable (reported)."""
    try:
        hints = records.read_list(path, LearnerError)
    except LearnerError as e:
        problems.append(f"{e}; hints skipped")
        return None
    if not all(isinstance(h, dict) and isinstance(h.get("level"), int) for h in hints):
        problems.append(f"{path}: not a list of {{level, revealed_at}}; hints skipped")
        return None
    return hints


def _read_sidecar(path: Path, kind: str, w: Work, problems: list[str]) -> None:
    """One file beside the learner's work (a key of records.SUFFIXES) into `w`; a bad one is reported."""
    root = path.parent.parent  # the class: path is <root>/<learner>/<tag><suffix>
    if kind == "prediction":
        try:
            w.versions = history(w.learner, w.brk, root)
        except LearnerError as e:  # its message names the file already
            w.unreadable = str(e)
            problems.append(f"{e}; prediction skipped")
    elif kind == "explanation":
        try:
            w.explanations = explained(w.learner, w.brk, root)
        except LearnerError as e:
            problems.append(f"{e}; explanation skipped")
    elif kind == "hints":
        w.hints = _hints(path, problems)
    elif kind == "fixes":
        try:
            w.fixes = [f for f in records.read_list(path, LearnerError) if isinstance(f, dict)]
        except LearnerError as e:
            w.fixes = None
            problems.append(f"{e}; fixes skipped")
    else:
        try:
            log = records.read_list(path, LearnerError)
        except LearnerError as e:
            problems.append(f"{e}; run log skipped")
            return
        w.runs += [run for run in log if isinstance(run, dict) and isinstance(run.get("started_at"), str)]


def read_learner(folder: Path, learner: str, tags: dict[str, Break], problems: list[str]) -> dict[str, Work]:
    """Everything one learner's folder holds, by break tag; each bad file is reported and skipped."""
    works: dict[str, Work] = {}

    def work(b: Break) -> Work:
        return works.setdefault(b.tag, Work(learner, b))

    for path in sorted(folder.iterdir()):
        kind = next((k for k, s in records.SUFFIXES.items() if path.name.endswith(s)), None)
        b = None if kind is None else _tag_of(path, records.SUFFIXES[kind], tags, problems)
        if b is not None:
            _read_sidecar(path, kind, work(b), problems)
    runs = folder / "runs"
    for path in sorted(runs.glob("*/manifest.json")) if runs.is_dir() else []:
        b = tags.get(path.parent.name)
        if path.parent.name == BASELINE:
            continue
        if b is None:
            problems.append(f"{path}: unknown break {path.parent.name!r}; run skipped")
            continue
        m = _manifest(path, problems)
        if m is None:
            continue
        w = work(b)
        if isinstance(m.get("started_at"), str):
            w.runs.append({"started_at": m["started_at"], **({"prediction": m["prediction"]}
                                                              if "prediction" in m else {})})
        if m.get("learner", learner) != learner:
            problems.append(f"{path}: the manifest names learner {records.shown(m.get('learner'))}, not {learner!r}")
        if not m.get("findings") or not isinstance(m.get("metrics"), dict):
            problems.append(f"{path}: the manifest has no findings or metrics; {learner} x {b.tag} graded "
                            "against the answer key instead")
        else:
            w.manifest = m
    return works


def _manifest(path: Path, problems: list[str]) -> dict | None:
    """A run's manifest, or None when it is unusable (reported)."""
    try:
        m = records.read(path)
    except records.Unreadable as e:
        problems.append(f"{path}: not readable JSON ({e}); run skipped")
        return None
    if not isinstance(m, dict):
        problems.append(f"{path}: not a run manifest; run skipped")
        return None
    return m


# ----------------------------------------------------------------------------------------------- timing

@dataclass
class Timing:
    graded: dict | None  # the version whose answers are graded
    first_run_at: str = ""
    sealed_before_run: str = ""  # yes / no / "" (no run yet)
    revised_after_run: str = ""
    notes: list[str] = field(default_factory=list)


def _index_of(versions: list[dict], stamp_digest: str, started: str) -> int | None:
    """The version a run recorded: the last with that digest sealed by the run's start, else the first."""
    hits = [i for i, v in enumerate(versions) if v["digest"] == stamp_digest]
    before = [i for i in hits if versions[i]["sealed_at"] <= started]
    return before[-1] if before else hits[0] if hits else None


def timing(w: Work) -> Timing:
    """Which version is graded, and whether it was sealed before the first run and revised after it.

    The digest a run recorded decides (the prediction in force when it started); seal times and run start
    times (ISO 8601, UTC) decide only for a run that recorded nothing about predictions."""
    versions = w.versions
    if not w.runs:
        return Timing(versions[-1] if versions else None)
    first = min(w.runs, key=lambda r: r["started_at"])
    t = Timing(None, first_run_at=first["started_at"])
    if not versions:
        t.sealed_before_run = "no"
        return t
    stamp = first.get("prediction", "absent")
    if isinstance(stamp, dict) and isinstance(stamp.get("digest"), str):
        idx = _index_of(versions, stamp["digest"], first["started_at"])
        if idx is None:
            t.notes.append("the first run recorded a prediction digest found in no sealed version "
                           "(the file was edited or replaced)")
    elif stamp is None:
        idx = None  # the run recorded that no prediction was sealed
    else:
        before = [i for i, v in enumerate(versions) if v["sealed_at"] <= first["started_at"]]
        idx = before[-1] if before else None
    if idx is None:
        t.graded, t.sealed_before_run = versions[0], "no"
        t.revised_after_run = "yes" if len(versions) > 1 else "no"
    else:
        t.graded, t.sealed_before_run = versions[idx], "yes"
        t.revised_after_run = "yes" if len(versions) > idx + 1 else "no"
    return t


# ----------------------------------------------------------------------------------------------- observing

def observations(w: Work, keys: dict, problems: list[str]) -> tuple[dict, dict]:
    """question id -> observed answer, and question id -> where it came from ('run' or 'answer_key').

    The manifest is the learner's file: whatever its findings and metrics make the detectors or a question's
    observe raise, that question is graded against the answer key, with one line saying why."""
    observed, source = {}, {}
    if w.manifest is not None:
        try:
            found = stored_findings(w.brk, w.manifest)
        except Exception as e:
            found = None
            problems.append(f"{w.learner} x {w.brk.tag}: the run's findings are unusable ({_why(e)}); "
                            "graded against the answer key")
        for q in w.brk.questions:
            if q.observe is None or found is None:
                continue
            try:
                observed[q.id] = observe_one(q, w.manifest["metrics"], found)
                source[q.id] = "run"
            except Exception as e:
                problems.append(f"{w.learner} x {w.brk.tag}: cannot observe {q.id!r} in the run ({_why(e)}); "
                                "graded against the answer key")
    key = keys.get(w.brk.tag)
    for qid, value in (key or {}).get("answers", {}).items():
        if qid not in observed:
            observed[qid], source[qid] = value, "answer_key"
    return observed, source


def _why(e: Exception) -> str:
    return f"{type(e).__name__}: {str(e)[:100]}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if math.isfinite(value) else ""
    return str(value)


def rows_for(w: Work, keys: dict, problems: list[str]) -> list[dict]:
    t = timing(w)
    observed, source = observations(w, keys, problems)
    graded = t.graded
    answers = graded["answers"] if graded else {}
    latest = w.versions[-1]["answers"] if w.versions else {}
    notes = list(t.notes)
    if w.unreadable:
        notes.append("prediction file unreadable (see problems)")
    elif not w.versions:
        notes.append("no sealed prediction")
    bad_digests = [v.get("revision", i + 1) for i, v in enumerate(w.versions)
                   if digest(w.learner, w.brk.tag, v["answers"], v.get("confidence")) != v["digest"]]
    if bad_digests:
        notes.append(f"revision(s) {', '.join(map(str, bad_digests))} do not match their digest: edited by hand")
    explained = w.explanations[-1] if w.explanations else None
    if explained and explanation_digest(w.learner, w.brk.tag, explained["text"]) != explained["digest"]:
        notes.append("the explanation does not match its digest: edited by hand")
    after = ("" if explained is None else "no run" if not t.first_run_at
             else "yes" if explained["sealed_at"] >= t.first_run_at else "no")
    confidence = graded.get("confidence") if graded and isinstance(graded.get("confidence"), dict) else {}
    if graded and not confidence:
        notes.append("sealed without a confidence")
    if w.hints is None:
        hints_used = ""
    else:
        hints_used = max((h["level"] for h in w.hints), default=0)
        early = [h for h in w.hints if graded and str(h.get("revealed_at", "")) < graded["sealed_at"]]
        if early:
            notes.append(f"{len(early)} hint(s) revealed before the graded prediction was sealed")
    rows = []
    for q in w.brk.questions:
        has = q.id in answers
        pred = answers.get(q.id)
        row_notes = list(notes)
        if graded and not has:
            row_notes.append("question unanswered in the graded version")
        obs = observed.get(q.id)
        s = score(q, pred, obs)
        revised = latest.get(q.id) if graded and latest is not answers and latest.get(q.id) != pred else None
        if q.kind != "text" and obs is None:
            row_notes.append("no run and no answer key to grade against (just answer-keys)")
        sure = str(confidence.get(q.id, ""))
        event = ""
        if sure == CONFIDENT and s == 0:
            event = BEST_EVENT if after == "yes" else "confidently wrong"
        rows.append({
            "learner": w.learner, "break": w.brk.tag, "question": q.id, "kind": q.kind,
            "predicted": _cell(pred), "observed": _cell(obs),
            "tolerance": _cell(q.tolerance), "score": s,
            "max_score": 1 if q.kind != "text" and obs is not None else "",
            "graded_against": source.get(q.id, ""),
            "revision_graded": graded.get("revision", w.versions.index(graded) + 1) if graded else "",
            "revisions": len(w.versions), "sealed_at": w.versions[0]["sealed_at"] if w.versions else "",
            "first_run_at": t.first_run_at, "sealed_before_run": t.sealed_before_run,
            "revised_after_run": t.revised_after_run, "revised_answer": _cell(revised),
            "missing": "no" if graded else "yes", "hints_used": hints_used,
            "digest_ok": "" if not w.versions else "no" if bad_digests or t.notes else "yes",
            "confidence": sure, "explanation": explained["text"] if explained else "",
            "explained_after_run": after, "learning_event": event,
            "notes": "; ".join(row_notes),
        })
    return rows


# ----------------------------------------------------------------------------------------------- the class

def _read_class(root: Path, tags: dict[str, Break], problems: list[str]) -> dict[str, dict[str, Work]]:
    """Every learner folder under `root`, by learner; a folder refused or unreadable is one line."""
    per_learner: dict[str, dict[str, Work]] = {}
    for folder in sorted(root.iterdir()):
        if not folder.is_dir():
            continue
        try:
            learner = check_learner(folder.name)
        except LearnerError as e:
            problems.append(f"{folder}: refused ({e})")
            continue
        if folder.is_symlink():
            problems.append(f"{folder}: a symbolic link, refused")
            continue
        try:
            per_learner[learner] = read_learner(folder, learner, tags, problems)
        except OSError as e:  # a folder its owner made unreadable to the grader
            problems.append(f"{folder}: cannot be read ({e.strerror or type(e).__name__}); learner skipped")
    return per_learner


def grade(root: Path, catalogue: list[Break] | None = None, solutions: Path | None = None,
          only: list[str] | None = None) -> Gradebook:
    """Grade every learner folder under `root` (learners/ by default) for every break the class touched."""
    root = Path(root)
    if not root.is_dir():
        raise GradeError(f"{root} is not a folder; pass the learners folder, e.g. just grade learners/")
    catalogue = load_catalogue() if catalogue is None else catalogue
    tags = {b.tag: b for b in catalogue}
    problems: list[str] = []
    per_learner = _read_class(root, tags, problems)
    if only:
        unknown = [t for t in only if t not in tags]
        if unknown:
            raise GradeError(f"unknown break(s) {', '.join(unknown)}; breaks are: {', '.join(tags)}")
        touched = set(only)
    else:
        touched = {t for works in per_learner.values() for t in works}
    breaks = [b for b in catalogue if b.tag in touched]
    keys = {}
    for b in breaks:
        try:
            keys[b.tag] = load_answer_key(b, solutions)
        except AnswerKeyError as e:
            problems.append(str(e))
    rows = []
    for learner, works in per_learner.items():
        for b in breaks:
            rows += rows_for(works.get(b.tag) or Work(learner, b), keys, problems)
    drilled = drill_rows(root, sorted(per_learner), problems, solutions)
    return Gradebook(rows, problems, sorted(per_learner), breaks, drill_rows=drilled)
