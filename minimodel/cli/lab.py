"""The lab's commands: exp, breaks list|show, new, check, calibrate, answer-keys."""
from __future__ import annotations

import typer

from minimodel.cli.common import app, fail, use_threads, need_checkout

breaks_app = typer.Typer(no_args_is_help=True, help="The break catalogue.")
app.add_typer(breaks_app, name="breaks")


REPORT = "report-target-masking"


@app.command()
def exp(name: str = typer.Argument(..., help="17-train-mini, 17-sample (phase 17 of the curriculum: train a mini GPT, "
                                   "sample from it), or report-target-masking (the source "
                                   "report's table retrained beside its numbers; tens of minutes)"),
        tag: str = typer.Option(None, help="baseline, or a break's tag such as broken-no-mask"),
        steps: int = typer.Option(None, help="training steps (default: the break's recipe; the report: 2000)"),
        seed: int = typer.Option(0, help="seed for data, initialisation and batches"),
        seeds: str = typer.Option("0-9", help="report-target-masking: seeds, a range 0-9 or a list 0,3"),
        experiments: str = typer.Option(None, help="report-target-masking: which tables, e.g. \"block 16, 9:1\" "
                                        "(several joined by ';'; default: all three)"),
        recipe: str = typer.Option(None, help="override the recipe (see minimodel.recipes)"),
        n: int = typer.Option(8, help="17-sample: how many held-out prompts"),
        prompt: str = typer.Option(None, help="17-sample: text to continue exactly as given, e.g. 12+34= or \"I l\""),
        learner: str = typer.Option(None, help="run for this learner: learners/<name>/runs/<tag>/, "
                                    "recording the learner's sealed prediction")) -> None:
    """Run a named experiment: `exp 17-train-mini --tag broken-no-mask`, `exp report-target-masking`."""
    from minimodel.classroom.learner_runs import run_folder
    from minimodel.harness.checkpoints import CheckpointError
    from minimodel.harness.experiments import EXPERIMENTS, UsageError, sample

    if name not in [*EXPERIMENTS, REPORT]:
        fail(f"unknown experiment {name!r}; experiments are: {', '.join([*EXPERIMENTS, REPORT])}")
    if steps is not None and steps < 1:
        fail("--steps must be at least 1")
    if name != REPORT and tag is None:
        fail(f"{name} needs a tag: --tag baseline, or a break's tag such as --tag broken-no-mask")
    use_threads()
    try:
        if name == REPORT:
            _report(seeds, steps or 2000, experiments)
        elif name == "17-train-mini":
            _train(tag, steps, seed, recipe, learner)
        else:
            hint = f"just exp 17-train-mini --tag {tag}" + (f" --learner {learner}" if learner else "")
            sample(tag, n=n, prompt=prompt, echo=typer.echo, folder=run_folder(tag, learner), retrain_hint=hint)
    except (UsageError, CheckpointError) as e:
        fail(str(e))
    except ValueError as e:  # bad recipe name, prompt outside the vocabulary, ...
        fail(str(e))


def _report(seeds: str, steps: int, experiments: str | None) -> None:
    from minimodel import settings
    from minimodel.harness.parallel import parse_seeds
    from minimodel.harness.target_masking_report import RESULTS, run_report

    chosen = [e.strip() for e in experiments.split(";")] if experiments else None
    run_report(parse_seeds(seeds), steps, chosen, jobs=settings.jobs(), echo=typer.echo)
    typer.echo(f"results in {RESULTS}; the page: just report-page")


def _train(tag: str, steps: int | None, seed: int, recipe: str | None, learner: str | None = None) -> None:
    from minimodel.classroom.learner_runs import run_folder, train_for_learner
    from minimodel.harness.experiments import train_mini

    folder = run_folder(tag, learner)
    try:
        if learner is None:
            verdict = train_mini(tag, steps, seed, recipe, echo=typer.echo)
        else:
            verdict = train_for_learner(tag, steps, seed, recipe, echo=typer.echo, learner=learner)
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: the previous checkpoint and manifest in {folder}/ are "
                   "intact; interrupted.json marks this attempt", err=True)
        raise typer.Exit(130)
    typer.echo("")
    typer.echo(verdict_lines(verdict))
    if learner is not None:
        p = verdict.manifest.get("prediction")
        typer.echo(f"\nlearner {learner}: " + (f"prediction revision {p['revision']} sealed at {p['sealed_at']} "
                                               f"({p['digest'][:19]}...) recorded" if p else
                                               "no sealed prediction recorded for this run"))
    typer.echo(f"\nwrote {folder}/: {', '.join(verdict.manifest['files'])}")
    typer.echo(f"next: just exp 17-sample --tag {tag}" + (f" --learner {learner}" if learner else ""))


def verdict_lines(v) -> str:
    """The short verdict: each detector, this run beside the healthy control, then the headline numbers."""
    rows = [v.table().text()]
    m = v.run.metrics
    rows.append("")
    rows.append(f"held-out loss {m['tf']['loss']:.3f} (entropy floor {m['entropy_floor']:.3f}), "
                f"TF exact match {m['tf_exact_match']:.0%}, AR exact match {m['ar']['exact_match']:.0%}")
    if v.control:
        c = v.control.metrics
        rows.append(f"healthy control: loss {c['tf']['loss']:.3f}, TF exact match {c['tf_exact_match']:.0%}, "
                    f"AR exact match {c['ar']['exact_match']:.0%}")
        rows.append(v.steps_note)
    fired = [f.name for f in v.findings if f.fired]
    rows.append(f"fired: {', '.join(fired) if fired else 'nothing'}")
    return "\n".join(rows)


@breaks_app.command("list")
def breaks_list() -> None:
    """Every break in teaching order."""
    from minimodel.catalogue import load_catalogue

    for b in load_catalogue():
        typer.echo(f"{b.module.split('.')[-1][:3]}  {b.tag:<28} {b.phase:<16} {b.title}")


@breaks_app.command("show")
def breaks_show(name: str = typer.Argument(..., help="a break's tag or id"),
                hints: bool = typer.Option(False, help="also print the hints (for explaining what you observed)"),
                reveal: bool = typer.Option(False, help="also print the symptom, the detectors, the cause and "
                                            "the fix")) -> None:
    """One break's page, open mode: the change (its broken code) and what to predict; --hints, --reveal for more."""
    import inspect

    from minimodel.catalogue import find_break

    try:
        b = find_break(name)
    except LookupError as e:
        fail(str(e))
    typer.echo(f"{b.tag}   phase: {b.phase}   recipe: {b.recipe}   seams: {', '.join(b.replaces)}")
    typer.echo(f"\nthe change: {b.change}\n")
    for fn in b.replaces.values():
        typer.echo(inspect.getsource(fn).rstrip())
    typer.echo(f"\npredict (then seal it: just predict {b.tag} --learner NAME):")
    for q in b.questions:
        extra = f" [{' / '.join(q.options)}]" if q.options else f" (number, +/-{q.tolerance:g})" \
            if q.tolerance is not None else " (free text)"
        typer.echo(f"  - {q.text}{extra}")
    if b.half_trained:
        typer.echo(f"its control is not held to the competence rule ({b.steps} steps): {b.half_trained}")
    if hints or reveal:
        typer.echo("\nhints:")
        for i, h in enumerate(b.hints, 1):
            typer.echo(f"  {i}. {h}")
    if reveal:
        typer.echo(f"\nwhat it looks like: {b.title}\nsymptoms (detectors that must fire): {', '.join(b.detectors)}"
                   f"\ncause: {b.cause}\nwhy it teaches: {b.why}\nseen in: {b.seen_in}\n\nfix:\n{b.fix_diff()}")


def results_readable() -> None:
    """Refuse, before any training, to measure into a damaged results file (the message says what to run)."""
    from minimodel.harness.measurements import MeasurementsError, load_all, load_calibrations

    try:
        load_all()
        load_calibrations()
    except MeasurementsError as e:
        fail(str(e))


@app.command()
def check(seeds: str = typer.Option("0", help="seeds for the break contract: a range 0-9, a list 0,2,5, or both"),
          only: str = typer.Option(None, help="check one break (tag or id)"),
          jobs: int = typer.Option(None, help="processes (default: cores / MINIMODEL_THREADS)"),
          drift: bool = typer.Option(False, "--drift", help="no training: metadata, notebooks, answer keys, "
                                     "the catalogue's pages and the drill's outcomes only (seconds)")) -> None:
    """The catalogue checker: metadata, each break's contract with a margin (fires broken, quiet fixed), and drift.
    What the contract measured goes into docs/measurements/check/ and the catalogue's pages."""
    need_checkout("just check")
    from minimodel import settings
    from minimodel.harness.checker import run_checks
    from minimodel.harness.parallel import parse_seeds

    try:
        seed_list = parse_seeds(seeds)
    except ValueError as e:
        fail(str(e))
    if not drift:
        results_readable()
    use_threads(announce=True)
    command = f"MINIMODEL_THREADS={settings.threads()} MINIMODEL_ISA={settings.isa()} just check --seeds {seeds}" + \
        (f" --only {only}" if only else "")
    ok = run_checks(seed_list, only, echo=typer.echo, jobs=jobs or settings.jobs(), table=True, contract=not drift,
                    command=command)
    raise typer.Exit(0 if ok else 1)


@app.command("report-page")
def report_page() -> None:
    """Write docs/target-masking-report.md from the cells `just exp report-target-masking` saved."""
    need_checkout("just report-page")
    from minimodel.harness.target_masking_page import PAGE, write_page
    from minimodel.harness.target_masking_report import RESULTS

    try:
        changed = write_page()
    except ValueError as e:
        fail(str(e))
    typer.echo(f"{'wrote' if changed else 'unchanged:'} {PAGE} (from {RESULTS})")


@app.command()
def catalogue() -> None:
    """Write the catalogue's pages from the breaks and what `just check` measured: the README's listing,
    docs/measurements/index.md and the breaks x checks matrix on docs/checkup.md."""
    need_checkout("just catalogue")
    from minimodel.catalogue import load_catalogue
    from minimodel.harness.measurements import MeasurementsError, write_catalogue

    try:
        changed = write_catalogue(load_catalogue(), echo=typer.echo)
    except MeasurementsError as e:
        fail(str(e))
    typer.echo(f"{changed} file(s) changed")


@app.command()
def new(slug: str = typer.Argument(..., help="the break's name: lower-case words joined by '-', e.g. averaged-padding"),
        seam: str = typer.Option(None, help="the seam it breaks: its healthy code is copied in for you to break"),
        recipe: str = typer.Option("rows-answer", help="the recipe it runs on (see minimodel/recipes.py)")) -> None:
    """Scaffold a new break: breaks/bNN_<slug>.py with every field to fill in and the common questions."""
    need_checkout("just new")
    from minimodel.catalogue.scaffold import ScaffoldError, new_break, next_steps

    try:
        path = new_break(slug, seam, recipe)
    except ScaffoldError as e:
        fail(str(e))
    typer.echo(f"wrote {path} (the break broken-{slug}); next:")
    for i, step in enumerate(next_steps(f"broken-{slug}"), 1):
        typer.echo(f"  {i}. {step}")


@app.command()
def calibrate(recipes: str = typer.Option(None, help="comma-separated recipe names (default: every recipe a "
                                          "break uses)"),
              seeds: str = typer.Option("0-9", help="a range 0-9, a list 0,2,5, or both"),
              jobs: int = typer.Option(None, help="processes (default: cores / MINIMODEL_THREADS)")) -> None:
    """Per recipe: when the healthy control reaches the bar, its final score, and the competence rule, over seeds."""
    from minimodel import settings
    from minimodel.harness.calibrate import recipes_in_use, run_calibration
    from minimodel.harness.parallel import parse_seeds
    from minimodel.recipes import RECIPES

    try:
        seed_list = parse_seeds(seeds)
    except ValueError as e:
        fail(str(e))
    names = [r.strip() for r in recipes.split(",")] if recipes else recipes_in_use()
    unknown = [r for r in names if r not in RECIPES]
    if unknown:
        fail(f"unknown recipe(s) {', '.join(unknown)}; recipes are: {', '.join(RECIPES)}")
    record = settings.checkout() is not None  # on a clone, what it measures goes onto the measurement page
    if record:
        results_readable()
    use_threads(announce=True)
    command = f"MINIMODEL_THREADS={settings.threads()} MINIMODEL_ISA={settings.isa()} just calibrate " + \
        f"--seeds {seeds}" + (f" --recipes {recipes}" if recipes else "")
    ok = run_calibration(names, seed_list, jobs or settings.jobs(), echo=typer.echo,
                         command=command if record else None)
    raise typer.Exit(0 if ok else 1)


@app.command("answer-keys")
def answer_keys(only: str = typer.Option(None, help="one break (tag or id); default: every break"),
                seed: int = typer.Option(0, help="the reference run's seed"),
                steps: int = typer.Option(None, help="training steps (default: each break's recipe)"),
                solutions: str = typer.Option(None, help="where to write (default: solutions/)")) -> None:
    """Run each break once and write solutions/<bNN_slug>/answer_key.json (what grading falls back on)."""
    need_checkout("just answer-keys")
    from pathlib import Path

    from minimodel.harness.answer_keys import write_answer_key
    from minimodel.catalogue import find_break, load_catalogue

    use_threads()
    try:
        chosen = [find_break(only)] if only else load_catalogue()
    except LookupError as e:
        fail(str(e))
    for b in chosen:
        path = write_answer_key(b, seed, Path(solutions) if solutions else None, steps)
        typer.echo(f"{b.tag}: wrote {path}")
