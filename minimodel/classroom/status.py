"""A learner's progress: per break in teaching order, what is done and what it scored, the next step, the review."""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break, load_catalogue
from minimodel.classroom import drills
from minimodel.classroom.drill_grade import learner_rows
from minimodel.classroom.grade import Work, read_learner, rows_for, timing
from minimodel.classroom.learners import check_learner
from minimodel.classroom.records import SUFFIXES
from minimodel.classroom.safe_text import one_line
from minimodel.harness.drill_pool import DrillError, pool
from minimodel.harness.findings import Table

REVIEW_AFTER = "7d"  # how long after its run a confident mistake waits before it is dealt again
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhm]?)")
_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "": 86_400}  # a bare number counts days
CELL = 160  # the most characters a table cell shows
COLUMNS = ["break", "predicted", "run", "explained", "fix", "hints", "score", "sure and wrong", "met again", "drill",
           "problems"]


class NothingToReview(DrillError):
    """No confident mistake is old enough to deal again: the message says when one will be."""


@dataclass
class Status:
    """Where one learner stands: a row per break, the drill in a line, and the next step as a command."""
    learner: str
    rows: list[dict]
    drill: str
    next: str

    def table(self) -> Table:
        return Table(COLUMNS, [[_shown(r[c]) for c in COLUMNS] for r in self.rows])

    def text(self) -> str:
        return "\n".join([self.table().text(), f"drill: {self.drill}", f"next: {self.next}"])

    def _repr_html_(self) -> str:
        return (self.table().html() + f"<p>drill: {html.escape(self.drill)}</p>"
                f"<p>next: <code>{html.escape(self.next)}</code></p>")

    def __repr__(self) -> str:
        return self.text()

    def to_json(self) -> str:
        return json.dumps({"learner": self.learner, "breaks": self.rows, "drill": self.drill, "next": self.next},
                          indent=1, ensure_ascii=False)


def _shown(value) -> str:
    """A cell as a learner's terminal or notebook may show it: one line, nothing hidden, short."""
    text = one_line("; ".join(value) if isinstance(value, list) else value)
    return text if len(text) <= CELL else text[:CELL - 3] + "..."  # the whole text stays in --json


def _files(folder: Path, learner: str, tag: str) -> dict[str, tuple[str, ...]]:
    """How each of the break's files begins in a problem line (grading names the file first)."""
    own = {kind: (str(folder / f"{tag}{suffix}"),) for kind, suffix in SUFFIXES.items()}
    own["runs"] += (str(folder / "runs" / tag) + "/", f"{learner} x {tag}:")
    return own


def _state(done: bool, broken: bool) -> str:
    return "yes" if done else "unreadable" if broken else "no"


def _row(w: Work, folder: Path, problems: list[str], drilled: list[dict]) -> dict:
    """One break's row: each step's state, the hints, the score against the run and the drill's results."""
    tag = w.brk.tag
    grading: list[str] = []
    graded = rows_for(w, {}, grading)  # against the learner's own run only, as grading reads it
    files = _files(folder, w.learner, tag)
    mine = {kind: [p for p in problems + grading if p.startswith(starts)] for kind, starts in files.items()}
    t = timing(w)
    ran = bool(w.runs or w.manifest)
    predicted = _state(bool(w.versions), bool(mine["prediction"]))
    if predicted == "yes" and t.sealed_before_run == "no":
        predicted = "yes, after the run"
    fixed = ("unreadable" if w.fixes is None else "yes" if any(f.get("fixed") is True for f in w.fixes)
             else f"not yet ({len(w.fixes)} tr{'y' if len(w.fixes) == 1 else 'ies'})" if w.fixes else "no")
    scored = [r for r in graded if r["max_score"] != ""] if w.manifest and w.versions else []
    wrong = [r["question"] for r in graded if r["learning_event"]]
    met = [d for d in drilled if d["true_break"] == tag]
    again = [d["drill_id"] for d in met if d["exact"] == "yes" and d["sealed_at"] > t.first_run_at]
    return {
        "break": tag, "predicted": predicted, "run": _state(ran, bool(mine["runs"])),
        "explained": _state(bool(w.explanations), bool(mine["explanation"])), "fix": fixed,
        "hints": "unreadable" if w.hints is None else f"{graded[0]['hints_used']} of {len(w.brk.hints)}",
        "score": f"{sum(r['score'] for r in scored)}/{sum(r['max_score'] for r in scored)}" if scored else "",
        "sure and wrong": wrong, "met again": again if wrong else [],  # diagnosed right in a drill after the run
        "drill": [f"{d['drill_id']}: " + ("right" if d["exact"] == "yes" else "same family" if d["same_family"] == "yes"
                                          else "wrong" if d["diagnosis"] else "not diagnosed") for d in met],
        "first_run_at": t.first_run_at,  # the problems name files inside the learner's folder
        "problems": sorted({p.replace(f"{folder}/", "") for ps in mine.values() for p in ps}),
    }


def _next_step(learner: str, rows: list[dict], catalogue: list[Break]) -> str:
    """The first unfinished step of the first unfinished break, as the command that does it."""
    for brk, r in zip(catalogue, rows):
        steps = [("predicted", f"just predict {brk.tag} --learner {learner}"),
                 ("run", f"just exp 17-train-mini --tag {brk.tag} --learner {learner}"),
                 ("explained", f"just explain {brk.tag} --learner {learner}"),
                 ("fix", f"just lab, then in notebooks/{brk.slug}.ipynb write the fix and run its verify_fix cell")]
        for step, command in steps:
            if r[step] == "unreadable":
                return f"move the damaged {brk.tag} file aside (see its problems), then: {command}"
            if not r[step].startswith("yes"):
                return command
    return f"every break is done; meet your confident mistakes again: just drill deal --learner {learner} --review"


def _drill_line(learner: str, drilled: list[dict], revealed: bool, problems: list[str]) -> str:
    if not drilled:
        return "; ".join(p for p in problems if p.startswith(f"{learner}'s drill")) or "none dealt"
    diagnosed = sum(1 for d in drilled if d["diagnosis"])
    return (f"{diagnosed} of {len(drilled)} id(s) diagnosed, "
            + ("revealed" if revealed else f"not revealed yet (just drill reveal --learner {learner})"))


def learner_status(learner: str, root: Path | None = None, catalogue: list[Break] | None = None) -> Status:
    """Everything the learner's folder says, read as grading reads it: a damaged file is a problem in its row."""
    check_learner(learner)
    root = Path(root) if root is not None else settings.learners_root()
    catalogue = load_catalogue() if catalogue is None else catalogue
    folder = root / learner
    problems: list[str] = []
    works: dict[str, Work] = {}
    if folder.is_dir() and not folder.is_symlink():
        try:
            works = read_learner(folder, learner, {b.tag: b for b in catalogue}, problems)
        except OSError as e:  # a folder made unreadable: every break shows as untouched, and why
            problems.append(f"{folder}: cannot be read ({e.strerror or type(e).__name__})")
    drilled = learner_rows(learner, root, None, None, problems)
    try:
        revealed = drills.revealed_at(learner, root) is not None
    except DrillError as e:
        revealed = False
        problems.append(f"{learner}'s drill: {e}")
    shown = drilled if revealed else []  # before the reveal, which id is which break stays hidden
    rows = [_row(works.get(b.tag) or Work(learner, b), folder, problems, shown) for b in catalogue]
    drill = _drill_line(learner, drilled, revealed, problems)
    return Status(learner, rows, drill, _next_step(learner, rows, catalogue))


# ----------------------------------------------------------------------------------------------- the review

def parse_after(text: str) -> timedelta:
    """'7d', '12h', '30m' or '0' as a time span (a bare number counts days)."""
    found = _DURATION.fullmatch(str(text).strip().lower())
    if not found:
        raise DrillError(f"--after {text!r} is not a time span; write one such as 7d, 12h, 30m or 0")
    return timedelta(seconds=float(found[1]) * _SECONDS[found[2]])


def _when(stamp: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(stamp)
    except ValueError:  # a run log edited by hand: its time says nothing
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def due_for_review(status: Status, after: timedelta, catalogue: list[Break] | None = None,
                   now: datetime | None = None) -> tuple[list[Break], list[datetime]]:
    """The drill's breaks the learner got wrong with high confidence at least `after` ago, and when each
    confident mistake not due yet will be."""
    now = now or datetime.now(timezone.utc)
    blind = {b.tag: b for b in pool(catalogue=catalogue)}  # outside the pool a break would name itself
    due, waiting = [], []
    for r in status.rows:
        ran = _when(r["first_run_at"]) if r["first_run_at"] else None
        if r["break"] not in blind or ran is None or not r["sure and wrong"]:
            continue
        (due.append(blind[r["break"]]) if now - ran >= after else waiting.append(ran + after))
    return due, sorted(waiting)


def review_deal(learner: str, after: str = REVIEW_AFTER, root: Path | None = None) -> tuple[dict, bool]:
    """Deal, blind, every confident mistake of the learner old enough; NothingToReview when there is none."""
    due, waiting = due_for_review(learner_status(learner, root), parse_after(after))
    if not due:
        when = (f"; the next is due at {waiting[0].isoformat(timespec='seconds')}" if waiting
                else " (a question sealed with high confidence that the learner's run proved wrong)")
        raise NothingToReview(f"{learner} has no confident mistake at least {after} old to meet again{when}")
    return drills.deal(learner, root=root, review=due)
