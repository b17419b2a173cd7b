"""`minimodel drill deal|show|request|choices|diagnose|reveal|outcomes`: the blind drill from a terminal."""
from __future__ import annotations

import typer

from minimodel.cli.common import app, fail, use_threads, need_checkout

drill_app = typer.Typer(no_args_is_help=True, help="Blind drill: diagnose breaks dealt under opaque ids, then the "
                        "reveal. Exit 2 on bad input.")


def _run(action):
    """Run one drill action; a learner's mistake is one line and exit 2, never a traceback."""
    from minimodel.classroom.learners import LearnerError
    from minimodel.harness.drill_pool import DrillError

    try:
        return action()
    except (LearnerError, DrillError, LookupError) as e:
        fail(str(e))


@drill_app.command()
def deal(learner: str = typer.Option(..., help="the learner's name"),
         n: int = typer.Option(5, help="how many breaks to deal"),
         pool: str = typer.Option(None, help="comma-separated phases to deal from (default: every phase)"),
         review: bool = typer.Option(False, "--review", help="deal instead every break you predicted with high "
                                     "confidence and got wrong, once --after has passed since its run"),
         after: str = typer.Option(None, help="with --review: how long after the run (default 7d), e.g. 3d, 12h, "
                                   "0")) -> None:
    """Deal a learner `n` breaks (or, with --review, their confident mistakes) under ids drill-1 .. drill-n (the
    same deal again if already dealt)."""
    from minimodel.classroom import drills, status

    def dealt():
        if not review:
            return drills.deal(learner, n, [p.strip() for p in pool.split(",") if p.strip()] if pool else None)
        try:
            return status.review_deal(learner, after or status.REVIEW_AFTER)
        except status.NothingToReview as e:  # nothing to do: exit 1, as `just grade` with nothing to grade
            fail(str(e), 1)

    d, new = _run(dealt)
    typer.echo(f"{'dealt' if new else 'already dealt (unchanged)'}: {learner} has {', '.join(drills.ids_of(d))}; "
               f"next: just drill show drill-1 --learner {learner}, or open notebooks/drill.ipynb")


@drill_app.command()
def show(drill_id: str = typer.Argument(..., help="an id of your deal, e.g. drill-1"),
         learner: str = typer.Option(..., help="your name")) -> None:
    """Train the id's run beside its healthy control and print its dashboard (numbers, samples, data)."""
    from minimodel import drill

    use_threads()
    _run(lambda: drill.trained(learner, drill_id))
    drill.dashboard(learner, drill_id)


@drill_app.command()
def request(drill_id: str = typer.Argument(..., help="an id of your deal"),
            detector: str = typer.Argument(..., help="a detector (just drill choices lists them)"),
            learner: str = typer.Option(..., help="your name")) -> None:
    """One detector's readout on an id (trains it first), logged with its time."""
    from minimodel import drill

    use_threads()
    if detector not in drill.detectors():
        fail(f"unknown detector {detector!r}; request one of: {', '.join(drill.detectors())}")
    _run(lambda: drill.trained(learner, drill_id))
    drill.request(learner, drill_id, detector)


@drill_app.command()
def choices() -> None:
    """What a diagnosis may name (--choice), the evidence it may cite (--evidence) and the detectors."""
    from minimodel import drill

    typer.echo("causes (--choice, the text after the number):")
    for i, c in enumerate(drill.choices(), 1):
        typer.echo(f"  {i:2d}. {c}")
    typer.echo("evidence (--evidence, comma-separated): " + ", ".join(drill.evidence_options()))


@drill_app.command()
def diagnose(drill_id: str = typer.Argument(..., help="an id of your deal"),
             learner: str = typer.Option(..., help="your name"),
             choice: str = typer.Option(..., help="a cause from `just drill choices` (its text, or its number)"),
             evidence: str = typer.Option("", help="comma-separated panels or detectors that showed it"),
             confidence: str = typer.Option(..., help="low, medium or high")) -> None:
    """Seal a diagnosis for one id (every version is kept; after the reveal it is flagged)."""
    from minimodel import drill
    from minimodel.classroom import drills

    options = drill.choices()
    if choice.isdigit() and 1 <= int(choice) <= len(options):
        choice = options[int(choice) - 1]
    cited = [e.strip() for e in evidence.split(",") if e.strip()]
    d = _run(lambda: drills.seal_diagnosis(learner, drill_id, choice, cited, confidence))
    typer.echo(f"sealed {drill_id} for {learner} at {d['sealed_at']}"
               + (" (after the reveal: flagged)" if d["after_reveal"] else ""))


@drill_app.command()
def reveal(learner: str = typer.Option(..., help="your name")) -> None:
    """The break behind each id beside your diagnosis (recorded: later seals are flagged)."""
    from minimodel.classroom.drill_grade import reveal_table

    typer.echo(_run(lambda: reveal_table(learner)).text())
    typer.echo("open each break's notebook (notebooks/<bNN_slug>.ipynb) to fix it")


@drill_app.command()
def outcomes(seed: int = typer.Option(0, help="the drill's seed"),
             only: str = typer.Option(None, help="run this break only (tag or id) and keep the others' outcomes; "
                                      "refused when the pool's detectors changed")) -> None:
    """Run every break of the drill's pool; write solutions/drill_outcomes.json (`just check` and grading read it)."""
    need_checkout("just drill outcomes")
    from minimodel.harness import drill_pool
    from minimodel.files import write_json

    use_threads()
    breaks = drill_pool.pool()
    data = _run(lambda: drill_pool.build_outcomes(breaks, seed, echo=typer.echo, only=only))
    write_json(drill_pool.outcomes_path(), data)
    problems = drill_pool.distinguishability_problems(breaks, data)
    for p in problems:
        typer.echo(f"problem: {p}", err=True)
    typer.echo(f"wrote {drill_pool.outcomes_path()}" + ("" if not problems else f"; {len(problems)} problem(s)"))


app.add_typer(drill_app, name="drill")
