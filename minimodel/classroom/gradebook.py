"""The gradebook's files: gradebook.csv (one row per learner x break x question) and report.md for the instructor."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from minimodel.classroom.drill_grade import DRILL_COLUMNS, PARTIAL, confusion
from minimodel.classroom.grade import BEST_EVENT, COLUMNS, Gradebook
from minimodel.classroom.safe_text import csv_text, markdown_text
from minimodel.files import atomic_write, now


def gradebook_csv(book: Gradebook) -> str:
    """Every row, each learner-written cell neutralised so that no spreadsheet runs it as a formula."""
    return csv_text(COLUMNS, book.rows)


def _md(text) -> str:
    """Anything a learner could have written (names, answers, file names in messages), inert in Markdown."""
    return markdown_text(text)


def report(book: Gradebook, root: Path) -> str:
    """The readable report: per-learner totals, the class's most common wrong predictions, what is missing."""
    lines = [f"# Gradebook for {root}", "",
             f"Generated {now()}: {len(book.learners)} learner(s), {len(book.breaks)} break(s), "
             f"{len(book.rows)} row(s). Each choice or number scores 1 when it matches what the learner's own run "
             "showed (or the answer key when there is no run); free text is left for you.", ""]
    lines += ["## Per learner", "",
              "| learner | break | score | sealed before first run | revised after run | hints used | "
              "graded against |", "|---|---|---|---|---|---|---|"]
    totals: dict[str, list[int]] = {}
    by_pair: dict[tuple[str, str], list[dict]] = {}
    for r in book.rows:
        by_pair.setdefault((r["learner"], r["break"]), []).append(r)
    for (learner, tag), rs in by_pair.items():
        got = sum(r["score"] for r in rs if r["score"] != "")
        out_of = sum(r["max_score"] for r in rs if r["max_score"] != "")
        t = totals.setdefault(learner, [0, 0])
        t[0] += got
        t[1] += out_of
        first = rs[0]
        sources = sorted({r["graded_against"] for r in rs if r["graded_against"]})
        status = "missing" if first["missing"] == "yes" else first["sealed_before_run"] or "not run yet"
        lines.append(f"| {_md(learner)} | {tag} | {got}/{out_of} | {status} | {first['revised_after_run'] or '-'} | "
                     f"{first['hints_used'] if first['hints_used'] != '' else '?'} | {', '.join(sources) or '-'} |")
    lines += ["", "| learner | total | share |", "|---|---|---|"]
    for learner, (got, out_of) in totals.items():
        share = f"{got / out_of:.0%}" if out_of else "-"
        lines.append(f"| {_md(learner)} | {got}/{out_of} | {share} |")
    lines += ["", "## The class's most common wrong predictions", ""]
    any_wrong = False
    for b in book.breaks:
        for q in b.questions:
            if q.kind == "text":
                continue
            wrong = [r for r in book.rows if r["break"] == b.tag and r["question"] == q.id
                     and r["score"] == 0 and r["predicted"] != ""]
            if not wrong:
                continue
            any_wrong = True
            answered = sum(1 for r in book.rows if r["break"] == b.tag and r["question"] == q.id
                           and r["predicted"] != "" and r["score"] != "")
            counts = Counter(r["predicted"] for r in wrong).most_common()
            seen = Counter(r["observed"] for r in book.rows if r["break"] == b.tag and r["question"] == q.id
                           and r["observed"] != "").most_common(1)
            obs = (f"observed {seen[0][0]!r}" if q.kind == "choice"
                   else f"observed about {seen[0][0]}, +/-{q.tolerance:g}")
            lines.append(f"- **{b.tag} / {q.id}** ({obs}; {len(wrong)} of {answered} wrong): "
                         + ", ".join(f"{_md(p)!r} x{n}" for p, n in counts))
    if not any_wrong:
        lines.append("None: every graded choice and number matched.")
    missing = sorted({(r["learner"], r["break"]) for r in book.rows if r["missing"] == "yes"})
    lines += ["", "## Missing predictions", ""]
    lines += [f"- {_md(learner)}: {tag}" for learner, tag in missing] or ["None."]
    text_rows = [r for r in book.rows if r["kind"] == "text" and r["predicted"]]
    lines += ["", "## Free text, for you to score (the `score` column is left empty)", ""]
    if text_rows:
        lines += ["| learner | break | question | answer |", "|---|---|---|---|"]
        lines += [f"| {_md(r['learner'])} | {r['break']} | {r['question']} | {_md(r['predicted'])} |"
                  for r in text_rows]
    else:
        lines.append("None.")
    lines += _confidence_section(book)
    lines += _drill_section(book)
    lines += ["", "## Where the seals came from", ""]
    lines += [f"- {_md(s)}" for s in book.sources] or ["The sidecar files of each learner's folder."]
    lines += ["", "## Files skipped or partly used", ""]
    lines += [f"- {_md(p)}" for p in book.problems] or ["None."]
    lines += ["", "Sealing is tamper-evident, not tamper-proof: a learner who edits files by hand can rewrite "
              "history; the digests and the run records make such edits visible, they cannot prevent them.", ""]
    return "\n".join(lines)


def _confidence_section(book: Gradebook) -> list[str]:
    """How sure the class was against how right, and the best learning events: confidently wrong, then explained."""
    scored = [r for r in book.rows if r["score"] != "" and r["confidence"]]
    lines = ["", "## Confidence and explanations", "",
             "A confident prediction that the run contradicts, explained afterwards, is the best learning event "
             "this lab produces: it is listed here as such, not as a failure.", "",
             "| confidence | right | wrong |", "|---|---|---|"]
    for level in ("high", "medium", "low"):
        at = [r for r in scored if r["confidence"] == level]
        lines.append(f"| {level} | {sum(r['score'] for r in at)} | {sum(1 - r['score'] for r in at)} |")
    best = [r for r in book.rows if r["learning_event"] == BEST_EVENT]
    lines += ["", f"### {BEST_EVENT.capitalize()}", ""]
    if best:
        lines += ["| learner | break | question | predicted | observed | explanation |", "|---|---|---|---|---|---|"]
        lines += [f"| {_md(r['learner'])} | {r['break']} | {r['question']} | {_md(r['predicted'])} | "
                  f"{_md(r['observed'])} | {_md(r['explanation'])} |" for r in best]
    else:
        lines.append("None yet.")
    unexplained = sorted({(r["learner"], r["break"]) for r in book.rows if r["learning_event"] == "confidently wrong"})
    if unexplained:
        lines += ["", "Confidently wrong with no explanation after the run yet: "
                  + ", ".join(f"{_md(learner)} x {tag}" for learner, tag in unexplained) + "."]
    explained = {(r["learner"], r["break"]): r for r in book.rows if r["explanation"]}
    lines += ["", "### Explanations, for you to read", ""]
    if explained:
        lines += ["| learner | break | after the run | explanation |", "|---|---|---|---|"]
        lines += [f"| {_md(learner)} | {tag} | {r['explained_after_run']} | {_md(r['explanation'])} |"
                  for (learner, tag), r in explained.items()]
    else:
        lines.append("None.")
    return lines


def _drill_section(book: Gradebook) -> list[str]:
    """Blind drills: per learner, the score and how they worked; the class's confusion matrix."""
    if not book.drill_rows:
        return []
    lines = ["", "## Blind drills", "",
             f"Per id: the exact break scores 1, the right family {PARTIAL:g}; the evidence is checked against the "
             "drill's own outcomes (`solutions/drill_outcomes.json`), not the learner's logs. `drill.csv` has a row "
             "per learner and id.", "",
             "| learner | score | exact | same family | evidence valid | readouts requested before sealing | "
             "sealed after the reveal | deal verified |", "|---|---|---|---|---|---|---|---|"]
    by_learner: dict[str, list[dict]] = {}
    for r in book.drill_rows:
        by_learner.setdefault(r["learner"], []).append(r)
    for learner, rs in by_learner.items():
        lines.append(f"| {_md(learner)} | {sum(r['score'] for r in rs):g}/{len(rs)} | "
                     f"{sum(r['exact'] == 'yes' for r in rs)} | {sum(r['same_family'] == 'yes' for r in rs)} | "
                     f"{sum(r['evidence_valid'] == 'yes' for r in rs)} | "
                     f"{sum(r['requests_before_seal'] for r in rs)} | "
                     f"{sum(r['sealed_before_reveal'] == 'no (flagged)' for r in rs)} | "
                     f"{', '.join(sorted({r['deal_verified'] for r in rs}))} |")
    lines += ["", "### Confusion matrix (true break x diagnosis)", ""] + confusion(book.drill_rows)
    return lines


def drill_csv(book: Gradebook) -> str:
    return csv_text(DRILL_COLUMNS, book.drill_rows)


def write_outputs(book: Gradebook, root: Path, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "gradebook.csv", out / "report.md"
    atomic_write(csv_path, lambda f: f.write(gradebook_csv(book).encode()))
    atomic_write(md_path, lambda f: f.write(report(book, root).encode()))
    if book.drill_rows:
        atomic_write(out / "drill.csv", lambda f: f.write(drill_csv(book).encode()))
    return csv_path, md_path
