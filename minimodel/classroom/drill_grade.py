"""Grading blind drills: per learner and id, the diagnosis against the break dealt, its family, its evidence
(against the grader's own outcomes, never the learner's logs), the requests before sealing, the reveal."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from minimodel.catalogue import Break
from minimodel.classroom import drills
from minimodel.classroom.learners import LearnerError
from minimodel.harness.drill_pool import PANELS, DrillError, choices, family, load_outcomes, pool
from minimodel.harness.findings import Table

DRILL_COLUMNS = ["learner", "drill_id", "true_break", "true_family", "diagnosis", "diagnosed_as", "confidence",
                 "score", "exact", "same_family", "evidence", "evidence_valid", "requests_before_seal", "sealed_at",
                 "revealed_at", "sealed_before_reveal", "deal_verified", "notes"]
PARTIAL = 0.5  # the score of a diagnosis in the right family but not the break


def _after(d: dict, revealed: str | None) -> bool:
    """Sealed after the reveal: the seal says so (it was sealed with a reveal on record), or its time does
    (seal times have a one-second resolution, so a seal in the reveal's second counts as before it)."""
    return revealed is not None and (d.get("after_reveal") is True or str(d.get("sealed_at", "")) > revealed)


def _graded(versions: list[dict], drill_id: str, revealed: str | None) -> tuple[dict | None, bool]:
    """The diagnosis graded for an id: the last sealed before the reveal, else the last one (flagged late)."""
    mine = [d for d in versions if d.get("id") == drill_id]
    before = [d for d in mine if not _after(d, revealed)]
    if before:
        return before[-1], False
    return (mine[-1], True) if mine else (None, False)


def _evidence_valid(cited: list[str], abnormal: set[str]) -> str:
    if not cited:
        return "none cited"
    real = [c for c in cited if c in abnormal or set(PANELS.get(c, ())) & abnormal]
    return "yes" if len(real) == len(cited) else "partly" if real else "no"


def score_one(truth: Break, choice: str | None, breaks: list[Break]) -> tuple[float, str, bool, bool]:
    """(score, what the choice names, exact, same family): the break itself (or its seam, when no other break of
    the pool replaces that seam) scores 1; a break or seam of the same family scores PARTIAL."""
    named = choices(breaks).get(choice) if choice else None
    if named is None:
        return 0, "", False, False
    if isinstance(named, str):  # a seam alone
        owners = [b for b in breaks if named in b.replaces]
        exact = owners == [truth]
        same = exact or any(family(b) == family(truth) for b in owners)
        label = owners[0].tag if len(owners) == 1 else f"seam {named}"  # a seam only one break replaces names it
        return (1 if exact else PARTIAL if same else 0), label, exact, same
    exact = named.tag == truth.tag
    same = family(named) == family(truth)
    return (1 if exact else PARTIAL if same else 0), named.tag, exact, same


def learner_rows(learner: str, root: Path, outcomes: dict | None, salt: str | None,
                 problems: list[str]) -> list[dict]:
    """One row per id dealt to this learner (nothing when the learner has no deal)."""
    if not (root / learner / "drill" / "deal.json").exists():
        return []
    try:
        deal = drills.read_deal(learner, root)
        versions = drills.diagnoses(learner, root)
        if not all(drills.well_formed(d) for d in versions):
            problems.append(f"{learner}'s drill: {sum(not drills.well_formed(d) for d in versions)} diagnosis "
                            "record(s) lack fields (edited by hand); skipped")
            versions = [d for d in versions if drills.well_formed(d)]
        asked = drills.requests(learner, root)
        revealed = drills.revealed_at(learner, root)
    except (LearnerError, DrillError) as e:
        problems.append(f"{learner}'s drill: {e}; drill skipped")
        return []
    breaks = pool()
    rows = []
    for drill_id in drills.ids_of(deal):
        notes = []
        try:
            truth = drills.break_of(deal, drill_id)
        except DrillError as e:
            problems.append(f"{learner}: {e}")
            continue
        ok = drills.verified(deal, drill_id, truth, salt)
        if ok == "no":
            notes.append("the deal does not match its check under the class salt: edited or made with another salt")
        d, late = _graded(versions, drill_id, revealed)
        if not late and any(v.get("id") == drill_id and _after(v, revealed) for v in versions):
            notes.append("a later diagnosis was sealed after the reveal (flagged, not graded)")
        if d is not None and d.get("digest") != drills.diagnosis_digest(learner, d):
            notes.append("the diagnosis does not match its digest: edited by hand")
        score, named, exact, same = score_one(truth, d.get("choice") if d else None, breaks)
        abnormal = set((outcomes or {}).get("breaks", {}).get(truth.tag, {}).get("abnormal", []))
        if outcomes is None:
            notes.append("no drill outcomes to check the evidence against (just drill outcomes)")
        sealed = str(d["sealed_at"]) if d else ""
        if d is None:
            notes.append("no diagnosis sealed")
        rows.append({
            "learner": learner, "drill_id": drill_id, "true_break": truth.tag, "true_family": family(truth),
            "diagnosis": d["choice"] if d else "", "diagnosed_as": named, "confidence": d["confidence"] if d else "",
            "score": score if d else 0, "exact": "yes" if exact else "no", "same_family": "yes" if same else "no",
            "evidence": ", ".join(d["evidence"]) if d else "",
            "evidence_valid": _evidence_valid(d["evidence"], abnormal) if d and outcomes else "",
            "requests_before_seal": sum(1 for r in asked if isinstance(r, dict) and r.get("id") == drill_id
                                        and sealed and str(r.get("requested_at", "")) <= sealed),
            "sealed_at": sealed, "revealed_at": revealed or "",
            "sealed_before_reveal": "" if d is None else "no (flagged)" if late else "yes",
            "deal_verified": ok or "no salt", "notes": "; ".join(notes),
        })
    return rows


def drill_rows(root: Path, learners: list[str], problems: list[str], solutions: Path | None = None) -> list[dict]:
    """Every learner's drill, graded with the class salt when the instructor has it (MINIMODEL_DRILL_SALT or the
    salt file this machine dealt with); without it the deals are graded but not verified."""
    try:
        outcomes = load_outcomes(solutions)
    except DrillError as e:
        problems.append(str(e))
        outcomes = None
    salt = drills.class_salt(create=False)
    return [r for learner in learners for r in learner_rows(learner, Path(root), outcomes, salt, problems)]


def confusion(rows: list[dict]) -> list[str]:
    """The class's confusion matrix: true break (rows) x what it was diagnosed as (columns), as Markdown."""
    graded = [r for r in rows if r["diagnosed_as"]]
    if not graded:
        return ["No sealed diagnosis yet."]
    truths = sorted({r["true_break"] for r in graded})
    said = sorted({r["diagnosed_as"] for r in graded})
    counts = Counter((r["true_break"], r["diagnosed_as"]) for r in graded)
    lines = ["| true \\ diagnosed | " + " | ".join(said) + " |", "|---|" + "---|" * len(said)]
    lines += [f"| {t} | " + " | ".join(str(counts[(t, s)] or "") for s in said) + " |" for t in truths]
    return lines


def reveal_table(learner: str) -> Table:
    """After recording the reveal: each id, the break behind it, and the learner's graded diagnosis."""
    deal = drills.read_deal(learner)
    revealed = drills.record_reveal(learner)
    versions = [d for d in drills.diagnoses(learner) if drills.well_formed(d)]
    rows = []
    for drill_id in drills.ids_of(deal):
        truth = drills.break_of(deal, drill_id)
        d, late = _graded(versions, drill_id, revealed)
        score, named, _, _ = score_one(truth, d["choice"] if d else None, pool())
        rows.append([drill_id, truth.tag, truth.title, named or "(no diagnosis)",
                     f"{score:g}" + (" (sealed after the reveal)" if late else ""), f"notebooks/{truth.slug}.ipynb"])
    return Table(["id", "break", "what it looks like", "you diagnosed", "score", "fix it in"], rows)
