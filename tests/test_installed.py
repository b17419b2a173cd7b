"""Installed, not cloned: the wheel in a fresh virtual environment, used from a folder outside the repository.

A learner on their own gets the lab with one `pip install` (a laptop, a hosted JupyterLab, Colab). This
builds the wheel, installs it with only its dependencies and a kernel, and from a folder of their own:
trains broken-no-mask to its verdict, writes the notebooks, executes one in that environment (no
ipywidgets there, as in a front end without widgets), seals a prediction and grades it against the
installed answer key. Nothing is written inside site-packages. Installing torch takes about a minute.
"""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ANSWERS = {"loss_vs_floor": "far below it (under half)", "future_attention": "yes, a visible share",
           "ar_exact_match": 5, "explain": "nothing stops a position from reading the answer",
           "confidence": {"loss_vs_floor": "high", "future_attention": "high", "ar_exact_match": "medium",
                          "explain": "low"}}


def _run(args: list, cwd: Path, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, a clean environment for it): the wheel and its dependencies, plus a kernel and nbval to run one."""
    tmp = tmp_path_factory.mktemp("installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIMODEL_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PYTHONDONTWRITEBYTECODE="1", MINIMODEL_THREADS="1", MINIMODEL_JOBS="1",
               MINIMODEL_CACHE=str(tmp / "cache"), HOME=str(tmp / "home"), XDG_CACHE_HOME=str(tmp / "home/.cache"))
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))  # reuse downloads
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp / "dist", ROOT],
         cwd=tmp, env=env)
    wheel = next((tmp / "dist").glob("minimodel_break_lab-*.whl"))
    _run([sys.executable, "-m", "venv", tmp / "venv"], cwd=tmp, env=env)
    _run([tmp / "venv/bin/python", "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", wheel, "ipykernel",
          "nbval"], cwd=tmp, env=env)
    return tmp / "venv", env


def test_the_wheel_holds_one_top_level_package(installed):
    venv, env = installed
    shown = _run([venv / "bin/python", "-m", "pip", "show", "-f", "minimodel-break-lab"], cwd=venv, env=env).stdout
    files = [line.strip() for line in shown.split("Files:", 1)[1].splitlines() if line.strip()]
    top = {f.split("/")[0] for f in files if not f.startswith("..")}  # ../../../bin/minimodel: the command
    assert {t for t in top if not t.endswith(".dist-info")} == {"minimodel"}, top
    assert "minimodel/breaks/b02_no_mask.py" in files and "minimodel/shipped/notebooks/b02_no_mask.ipynb" in files
    assert "minimodel/shipped/solutions/b02_no_mask/answer_key.json" in files
    assert not any(f.endswith("solution.ipynb") for f in files)  # the fixes stay in the repository


def test_a_learner_works_from_their_own_folder(installed, tmp_path):
    venv, env = installed
    site = Path(_run([venv / "bin/python", "-c", "import minimodel, pathlib; print(pathlib.Path(minimodel.__file__)"
                      ".parents[1])"], cwd=tmp_path, env=env).stdout.strip())
    before = _files(site)
    work = tmp_path / "my-lab"
    minimodel = venv / "bin/minimodel"

    made = _run([minimodel, "notebooks", work], cwd=tmp_path, env=env).stdout
    assert "wrote 27 notebooks" in made and (work / "b02_no_mask.ipynb").is_file()
    again = _run([minimodel, "notebooks", work], cwd=tmp_path, env=env).stdout
    assert "wrote 0 notebooks" in again and "kept 27" in again  # a learner's copies are their work

    trained = _run([minimodel, "exp", "17-train-mini", "--tag", "broken-no-mask"], cwd=work, env=env).stdout
    assert "broken-no-mask" in trained and (work / "runs" / "broken-no-mask").is_dir()

    # one learner notebook, executed in that environment's own kernel: no widgets there, so predict prints
    # the line that seals from a cell; the run itself reads the verdict trained above from the cache
    nbval = _run([venv / "bin/python", "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                  "--nbval-current-env", "b02_no_mask.ipynb"], cwd=work, env=env)
    assert " passed" in nbval.stdout

    (work / "answers.json").write_text(json.dumps(ANSWERS))
    _run([minimodel, "predict", "broken-no-mask", "--learner", "ada", "--answers", "answers.json"], cwd=work, env=env)
    graded = _run([minimodel, "grade", "learners", "--out", "grades", "--breaks", "broken-no-mask"],
                  cwd=work, env=env).stdout
    assert "0 file problem(s)" in graded
    rows = [r for r in csv.DictReader((work / "grades/gradebook.csv").open()) if r["learner"] == "ada"]
    scored = {r["question"]: r for r in rows if r["kind"] != "text"}
    assert set(scored) == {"loss_vs_floor", "future_attention", "ar_exact_match"}
    assert all(r["graded_against"] in ("answer_key", "run") and r["score"] == "1" for r in scored.values()), rows

    for command in (["catalogue"], ["check", "--drift"], ["answer-keys"]):  # a contributor's, refused here
        refused = subprocess.run([str(minimodel), *command], cwd=work, env=env, capture_output=True, text=True)
        assert refused.returncode == 2 and "clone of the lab's repository" in refused.stderr, refused.stderr
    assert _files(site) == before  # nothing written inside site-packages
