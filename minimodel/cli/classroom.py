"""The classroom's commands on the `minimodel` command line: predict, explain, status (learners) and grade."""
from __future__ import annotations

import typer

from minimodel.cli.common import app, fail


def predict(name: str = typer.Argument(..., help="a break's tag or id, e.g. broken-no-mask"),
            learner: str = typer.Option(..., help="your name (letters, digits, '.', '_', '-')"),
            answers: str = typer.Option(None, help='a JSON file {question id: answer, ..., "confidence": {question '
                                        'id: low|medium|high}}; without it, you are asked each question')) -> None:
    """Seal your prediction for a break before you run it (saved in learners/<name>/<tag>.prediction.json)."""
    from minimodel.catalogue import find_break
    from minimodel.classroom.learners import LearnerError, check_learner, prediction_path
    from minimodel.classroom.predictions import current, seal

    try:
        b = find_break(name)
        check_learner(learner)
        before = current(learner, b)
        given = _answers_from_file(answers) if answers else _ask(b)
        confidence = given.pop("confidence", None)
        if confidence is None:
            raise LookupError(f'{answers}: no "confidence"; add "confidence": {{"{b.questions[0].id}": "high", ...}} '
                              "with low, medium or high for each question")
        version = seal(learner, b, given, confidence=confidence)
    except (LookupError, LearnerError) as e:
        fail(str(e))
    path = prediction_path(learner, b)
    if before is not None and version["digest"] == before["digest"]:
        typer.echo(f"unchanged: revision {version['revision']} sealed at {version['sealed_at']} "
                   f"stays in force ({path})")
    elif version["revision"] > 1:
        typer.echo(f"sealed revision {version['revision']} at {version['sealed_at']}; the earlier revisions are "
                   f"kept and the grader shows them ({path})")
    else:
        typer.echo(f"sealed at {version['sealed_at']}, digest {version['digest'][:19]}... ({path})")
    typer.echo(f"next: just exp 17-train-mini --tag {b.tag} --learner {learner}")


def _answers_from_file(path: str) -> dict:
    from pathlib import Path

    from minimodel.classroom import records
    from minimodel.classroom.predictions import PredictionError

    try:
        data = records.read(Path(path))
    except records.Unreadable as e:
        raise PredictionError(f"cannot read answers from {path} ({e}); "
                              'write JSON such as {"loss_vs_floor": "near it", ...}') from None
    if not isinstance(data, dict):
        raise PredictionError(f"{path} must hold one JSON object {{question id: answer}}")
    return data


def _ask(b) -> dict:
    """One prompt per question, then how sure; a choice is picked by its number, a number re-asked until it is one."""
    from minimodel.classroom.predictions import CONFIDENCE

    typer.echo(f"{b.tag}: {b.title}\nseal your prediction before you run it.\n")
    got: dict = {}
    for q in b.questions:
        typer.echo(q.text)
        if q.kind == "choice":
            for i, option in enumerate(q.options, 1):
                typer.echo(f"  {i}. {option}")
            valid = {str(i): o for i, o in enumerate(q.options, 1)}
            got[q.id] = valid[_ask_until(f"your choice (1-{len(q.options)})", lambda t: t in valid)]
        elif q.kind == "number":
            got[q.id] = float(_ask_until(f"your estimate (scored within +/-{q.tolerance:g})", _is_number))
        else:
            got[q.id] = _ask_until("your explanation", lambda t: bool(t))
        sure = _ask_until("how sure are you? (low, medium, high)", lambda t: t.lower() in CONFIDENCE)
        got.setdefault("confidence", {})[q.id] = sure.lower()
        typer.echo("")
    return got


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.lower() not in ("nan", "inf", "-inf", "infinity", "-infinity")


def _ask_until(label: str, ok) -> str:
    while True:
        text = str(typer.prompt(label)).strip()
        if ok(text):
            return text
        typer.echo(f"  {text!r} is not a valid answer here; try again")


def explain(name: str = typer.Argument(..., help="a break's tag or id, e.g. broken-no-mask"),
            learner: str = typer.Option(..., help="your name (letters, digits, '.', '_', '-')"),
            text: str = typer.Option(None, help="your explanation; without it, you are asked for it")) -> None:
    """After the run: seal what you observed and why (learners/<name>/<tag>.explanation.json)."""
    from minimodel.catalogue import find_break
    from minimodel.classroom import explanations
    from minimodel.classroom.learners import LearnerError, check_learner

    try:
        b = find_break(name)
        check_learner(learner)
        if explanations.last_run_started(learner, b) is None:
            typer.echo(f"note: no run of {b.tag} is recorded for {learner!r} yet; the explanation is graded as "
                       "written before any run")
        version = explanations.seal(learner, b, text if text is not None else _ask_until(
            "what did the run show, and why?", lambda t: bool(t)))
    except (LookupError, LearnerError) as e:
        fail(str(e))
    typer.echo(f"explanation sealed as revision {version['revision']} at {version['sealed_at']}")


def grade(folder: str = typer.Argument(..., help="the learners folder (learners/), an nbgrader course or its "
                                        "submitted/ folder, a folder of notebooks, or a .zip of notebooks"),
          out: str = typer.Option(None, help="where gradebook.csv and report.md go (default: the folder itself; "
                                  "for a zip, a folder beside it)"),
          breaks: str = typer.Option(None, help="comma-separated tags to grade (default: every break the "
                                     "class predicted, ran or took hints for)"),
          solutions: str = typer.Option(None, help="answer keys folder (default: the lab's own, in the "
                                        "checkout or the installed package)")) -> None:
    """Grade every learner x break x question: gradebook.csv and report.md."""
    from pathlib import Path

    from minimodel.classroom.collect import gather
    from minimodel.classroom.grade import GradeError, grade as grade_all
    from minimodel.classroom.gradebook import write_outputs
    from minimodel.classroom.safe_text import one_line

    only = [t.strip() for t in breaks.split(",") if t.strip()] if breaks else None
    source = Path(folder)
    if out is None:
        out = source.with_name(source.stem + "-graded") if source.is_file() else source
    try:
        with gather(source) as collected:
            book = grade_all(collected.learners, solutions=Path(solutions) if solutions else None, only=only)
    except GradeError as e:
        fail(str(e))
    except OSError as e:  # an unreadable zip or folder
        fail(f"cannot read {folder}: {e}; pass the learners folder, a folder of notebooks or a .zip of them")
    book.problems[:0] = collected.problems
    book.sources = collected.sources
    for p in book.problems:
        typer.echo(f"warning: {one_line(p)}", err=True)
    for line in book.sources:
        typer.echo(f"seals: {one_line(line)}")
    if not book.rows and not book.drill_rows:
        fail(f"nothing to grade under {folder}: no learner folder with a prediction, hints, a run or a drill, "
             "and no notebook with a seal", 1)
    csv_path, md_path = write_outputs(book, source, Path(out))
    scored = [r for r in book.rows if r["score"] != ""]
    typer.echo(f"graded {len(book.learners)} learner(s) x {len(book.breaks)} break(s): {len(book.rows)} rows, "
               f"{sum(r['score'] for r in scored)}/{sum(r['max_score'] for r in scored)} points, "
               f"{len(book.problems)} file problem(s)")
    if book.drill_rows:
        typer.echo(f"drills: {len(book.drill_rows)} id(s), {sum(r['score'] for r in book.drill_rows):g} points "
                   f"(wrote {csv_path.with_name('drill.csv')})")
    typer.echo(f"wrote {csv_path} and {md_path}")
    if book.graded == 0 and not book.drill_rows:
        fail("nothing could be graded: no readable prediction in any learner folder", 1)


def status(learner: str = typer.Option(..., help="your name (letters, digits, '.', '_', '-')"),
           as_json: bool = typer.Option(False, "--json", help="the same as JSON, for scripts")) -> None:
    """Where you stand: per break, predicted, run, explained, fixed, hints, score and drill; then the next step."""
    from minimodel.classroom.learners import LearnerError
    from minimodel.classroom.status import learner_status

    try:
        found = learner_status(learner)
    except LearnerError as e:
        fail(str(e))
    typer.echo(found.to_json() if as_json else found.text())


for _command in (predict, explain, status, grade):  # top-level commands of `minimodel`
    app.command()(_command)
