"""The `minimodel` command line (typer): exp, breaks list/show, check. torch loads lazily."""
from __future__ import annotations

import os
import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="minimodel break lab: train a tiny GPT with one realistic bug switched on.")
breaks_app = typer.Typer(no_args_is_help=True, help="The break catalogue.")
app.add_typer(breaks_app, name="breaks")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _threads() -> None:
    """One deliberate thread count per process (MINIMODEL_THREADS, default 2 = this machine's cores)."""
    import torch

    torch.set_num_threads(int(os.environ.get("MINIMODEL_THREADS", "2")))


@app.command()
def exp(name: str = typer.Argument(..., help="17-train-mini or 17-sample"),
        tag: str = typer.Option(..., help="baseline, or a break's tag such as broken-no-mask"),
        steps: int = typer.Option(None, help="training steps (default: the break's recipe)"),
        seed: int = typer.Option(0, help="seed for data, initialisation and batches"),
        recipe: str = typer.Option(None, help="override the recipe (see minimodel.recipes)"),
        n: int = typer.Option(8, help="17-sample: how many held-out prompts"),
        prompt: str = typer.Option(None, help="17-sample: your own prompt, e.g. 12+34")) -> None:
    """Run a named experiment for a tag: `exp 17-train-mini --tag broken-no-mask`."""
    from minimodel.experiments import EXPERIMENTS, UsageError
    from minimodel.runs import CheckpointError

    if name not in EXPERIMENTS:
        fail(f"unknown experiment {name!r}; experiments are: {', '.join(EXPERIMENTS)}")
    if steps is not None and steps < 1:
        fail("--steps must be at least 1")
    _threads()
    try:
        if name == "17-train-mini":
            _train(tag, steps, seed, recipe)
        else:
            EXPERIMENTS[name](tag, n=n, prompt=prompt, echo=typer.echo)
    except (UsageError, CheckpointError) as e:
        fail(str(e))
    except ValueError as e:  # bad recipe name, prompt outside the vocabulary, ...
        fail(str(e))


def _train(tag: str, steps: int | None, seed: int, recipe: str | None) -> None:
    from minimodel.experiments import train_mini
    from minimodel.runs import runs_root

    try:
        manifest = train_mini(tag, steps, seed, recipe, echo=typer.echo).manifest
    except KeyboardInterrupt:
        typer.echo(f"\ninterrupted: the previous checkpoint and manifest in {runs_root() / tag}/ are "
                   "intact; interrupted.json marks this attempt", err=True)
        raise typer.Exit(130)
    typer.echo("")
    typer.echo(verdict_lines(manifest))
    typer.echo(f"\nwrote {runs_root() / tag}/: {', '.join(manifest['files'])}")
    typer.echo(f"next: just exp 17-sample --tag {tag}")


def verdict_lines(manifest: dict) -> str:
    """The short verdict: each detector, this run beside the healthy control."""
    control = {f["name"]: f for f in (manifest["control"] or {}).get("findings", [])}
    head = f"{'detector':<22} {manifest['tag']:>24}" + (f" {'healthy control':>18}" if control else "")
    rows = [head]
    def cell(x: dict) -> str:
        return ("n/a" if x["value"] is None else f"{x['value']:.3g}") + (" FIRED" if x["fired"] else " quiet")

    for f in manifest["findings"]:
        row = f"{f['name']:<22} {cell(f):>24}"
        if f["name"] in control:
            row += f" {cell(control[f['name']]):>18}"
        rows.append(row + f"   (threshold {f['threshold']:g})")
    m = manifest["metrics"]
    rows.append("")
    rows.append(f"held-out loss {m['tf']['loss']:.3f} (entropy floor {m['entropy_floor']:.3f}), "
                f"TF exact match {m['tf_exact_match']:.0%}, AR exact match {m['ar']['exact_match']:.0%}")
    if manifest["control"]:
        c = manifest["control"]["metrics"]
        rows.append(f"healthy control: loss {c['tf']['loss']:.3f}, TF exact match {c['tf_exact_match']:.0%}, "
                    f"AR exact match {c['ar']['exact_match']:.0%}")
    fired = [f["name"] for f in manifest["findings"] if f["fired"]]
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
                reveal: bool = typer.Option(False, help="also print the cause and the fix")) -> None:
    """One break's page: what to predict, what fires, the hints (and with --reveal, the fix)."""
    from minimodel.catalogue import find_break

    try:
        b = find_break(name)
    except LookupError as e:
        fail(str(e))
    typer.echo(f"{b.tag}: {b.title}\nphase: {b.phase}   recipe: {b.recipe}   seams: {', '.join(b.replaces)}")
    typer.echo("\npredict:")
    for q in b.questions:
        extra = f" [{' / '.join(q.options)}]" if q.options else f" (number, +/-{q.tolerance:g})" \
            if q.tolerance is not None else " (free text)"
        typer.echo(f"  - {q.text}{extra}")
    typer.echo(f"\nsymptoms (detectors that must fire): {', '.join(b.detectors)}")
    typer.echo("\nhints:")
    for i, h in enumerate(b.hints, 1):
        typer.echo(f"  {i}. {h}")
    if reveal:
        typer.echo(f"\ncause: {b.cause}\nwhy it teaches: {b.why}\nseen in: {b.seen_in}\n\nfix:\n{b.fix_diff()}")


@app.command()
def check(seeds: str = typer.Option("0", help="comma-separated seeds for the break contract"),
          only: str = typer.Option(None, help="check one break (tag or id)")) -> None:
    """The catalogue checker: metadata, and each break's contract (fires broken, quiet fixed)."""
    from minimodel.checker import run_checks

    _threads()
    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        fail(f"--seeds must be integers separated by commas, got {seeds!r}")
    ok = run_checks(seed_list, only, echo=typer.echo)
    raise typer.Exit(0 if ok else 1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
