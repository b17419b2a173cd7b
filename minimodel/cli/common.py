"""What every `minimodel` command shares: the app, one-line errors, and the process's thread count."""
from __future__ import annotations

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="minimodel break lab: train a tiny GPT with one realistic bug switched on.")


def fail(message: str, code: int = 2) -> None:
    """Bad input: one line on stderr that says what to do, and a non-zero exit (2 unless `code` says otherwise)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def need_checkout(command: str) -> None:
    """A contributor's command writes into the repository (breaks/, docs/, solutions/): refuse it on a lab installed
    from a wheel, whose files are the package's, never the learner's to rewrite."""
    from minimodel import settings

    if settings.checkout() is None:
        fail(f"`{command}` works on a clone of the lab's repository (it writes its files); this lab is installed "
             "from a wheel")


def use_threads(announce: bool = False) -> None:
    """One deliberate torch thread count per process (minimodel.settings); `announce` prints it with the kernels'
    instruction set, which together decide a run's float results."""
    from minimodel import settings

    settings.use_threads()
    if announce:
        typer.echo(f"torch threads per process: {settings.threads()}, instruction set: {settings.isa_label()} "
                   f"(MINIMODEL_THREADS, MINIMODEL_ISA={settings.isa()})")
