"""A learner's own folder: `minimodel notebooks DIR` writes the notebooks into it, `minimodel lab DIR` opens it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from minimodel.cli.common import app, fail


def inside_the_lab(folder: Path) -> bool:
    """True for a folder inside the installed package: a learner's work never lands in site-packages."""
    package = Path(__file__).resolve().parents[1]
    return folder.resolve().is_relative_to(package)


def write_notebooks(folder: Path, force: bool = False) -> tuple[list[str], list[str]]:
    """Copy the learners' notebooks (every break's, the drill's, the checkup capstone's) into `folder`; a copy
    already there is the learner's work and is kept unless `force`. Returns (written, kept) file names."""
    from minimodel import files, settings

    folder.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for source in sorted(settings.shipped("notebooks").glob("*.ipynb")):
        target = folder / source.name
        if target.exists() and not force:
            kept.append(source.name)
            continue
        files.atomic_write(target, lambda f, s=source: f.write(s.read_bytes()))  # never half a notebook
        written.append(source.name)
    return written, kept


@app.command()
def notebooks(folder: Path = typer.Argument(..., help="your working folder (made if missing), e.g. ~/minimodel-lab"),
              force: bool = typer.Option(False, help="replace notebooks already there (your edits in them are lost)")
              ) -> None:
    """Write the learner notebooks into FOLDER; runs and sealed predictions land beside them, never in the package."""
    if inside_the_lab(folder):
        fail(f"{folder} is inside the installed lab; choose a folder of your own, e.g. ~/minimodel-lab")
    if folder.exists() and not folder.is_dir():
        fail(f"{folder} is a file; give a folder")
    written, kept = write_notebooks(folder, force)
    typer.echo(f"wrote {len(written)} notebooks into {folder}")
    if kept:
        typer.echo(f"kept {len(kept)} already there (your work; --force replaces them): {', '.join(kept)}")
    typer.echo(f"next: minimodel lab {folder}   (or open {folder}/b01_memorise_sentence.ipynb in your Jupyter)")


@app.command()
def lab(folder: Path = typer.Argument(Path("."), help="the folder with your notebooks (default: here)")) -> None:
    """Open JupyterLab on FOLDER, on this machine only (127.0.0.1), without a browser: open the URL it prints."""
    try:
        import jupyterlab  # noqa: F401  (only to say clearly when it is missing)
    except ModuleNotFoundError:
        fail("JupyterLab is not installed beside the lab: pip install jupyterlab")
    if not folder.is_dir():
        fail(f"no folder {folder}; write the notebooks first: minimodel notebooks {folder}")
    if inside_the_lab(folder):
        fail(f"{folder} is inside the installed lab; run: minimodel notebooks ~/minimodel-lab, then open that")
    if not any(folder.glob("*.ipynb")):
        typer.echo(f"{folder} has no notebooks yet: minimodel notebooks {folder} writes them", err=True)
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}", "--ServerApp.ip=127.0.0.1",
               "--no-browser"] + (["--allow-root"] if os.name == "posix" and os.geteuid() == 0 else [])
    raise typer.Exit(subprocess.call(command))
