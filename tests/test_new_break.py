"""A new break in one file: `minimodel new` in a temporary copy of the repository, one file filled in, contract kept.

The throwaway break is the one that took four hand-edited files before the loss had one home: "the
loss is averaged over padding positions". It runs on the real contract (the checker's API), on one
seed and a short run so that the test stays under a minute.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "runs", "learners", "__pycache__", "*.egg-info", ".ruff_cache",
                              ".pytest_cache", ".ipynb_checkpoints", "site")

# what the contributor writes over the scaffold's placeholders, nothing else
FILLED = {
    '"""Break: TODO in one line, what is broken (the cause: learners read it only at the reveal)."""':
        '"""Break: the loss is averaged over every position, padding included, instead of the supervised ones."""',
    "# TODO plant the bug: change one line of this healthy copy of the seam and end that line with a BUG comment\n"
    '# (a comment that starts with "BUG:" and says what is wrong)\n': "",
    "    return targets != IGNORE_INDEX\n":
        "    return torch.ones_like(targets, dtype=torch.bool)  # BUG: ignored targets (padding) count in the mean\n",
    "from minimodel.seams import IGNORE_INDEX\n": "",
    'title="TODO the symptom a learner sees, never the cause"':
        'title="The reported loss reads far lower than a healthy run\'s, yet the model is no better"',
    'phase="TODO the catalogue\'s phase, e.g. target masks"': 'phase="target masks"',
    'questions.detector_fired("TODO_question", "TODO a question a detector answers?", "TODO_detector",\n'
    '                                 "TODO first option", "TODO second option", default="TODO second option")':
        'questions.detector_fired("loss_vs_control", "Compared with a healthy run, will the reported loss be much "\n'
        '                                 "lower, or about the same?", "loss_reads_lower", "much lower",\n'
        '                                 "about the same", default="about the same")',
    'questions.explain("In a sentence or two: TODO what will happen, and why?")':
        'questions.explain("In a sentence or two: what does the loss divide by?")',
    'symptoms=(Symptom("TODO_detector"),)': 'symptoms=(Symptom("loss_reads_lower"),)',
    'hints=("TODO vague: where to look", "TODO more specific", "TODO names the seam and the operation")':
        'hints=("A mean is a sum divided by a count. Which count?", "Compare the supervised share with the ratio "\n'
        '           "of the two losses.", "`loss_mask` keeps every position: padding adds zeros to the mean.")',
    'cause="TODO one sentence, hidden until the reveal"':
        'cause="The loss mask keeps every position, so ignored targets add zeros to the sum and ones to the count."',
    'why="TODO why it teaches"': 'why="A loss is only comparable across runs with the same denominator."',
    'seen_in="TODO where the bug was seen in real code"':
        'seen_in="`loss = F.cross_entropy(..., reduction=\'none\').mean()` in padded fine-tuning loops."',
}

CONTRACT = """
import dataclasses, json
import torch
import minimodel
from minimodel import settings
from minimodel.catalogue import find_break, metadata_problems
from minimodel.harness.checker import contract_problems

settings.use_threads()  # one, as every minimodel command and test
brk = find_break("broken-averaged-padding")
print(json.dumps({"library": minimodel.__file__, "module": brk.module, "metadata": metadata_problems(brk),
                  "contract": contract_problems(dataclasses.replace(brk, steps=300), 0, with_competence=False)}))
"""


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _python(repo: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(repo), "MINIMODEL_THREADS": "1", "MINIMODEL_JOBS": "1"}
    return subprocess.run([sys.executable, *args], cwd=repo, env=env, capture_output=True, text=True, timeout=300)


def test_a_new_break_is_one_file_and_passes_its_contract(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT, repo, ignore=SKIP)
    before = _files(repo)
    made = _python(repo, "-m", "minimodel.cli", "new", "averaged-padding", "--seam", "loss_mask",
                   "--recipe", "padded-rows")
    assert made.returncode == 0, made.stderr
    number = max(int(p.name[1:3]) for p in (ROOT / "breaks").glob("b[0-9][0-9]_*.py")) + 1
    slug = f"b{number:02d}_averaged_padding"
    path = repo / "breaks" / f"{slug}.py"
    assert str(path.relative_to(repo)) in made.stdout and "just check --drift --only broken-averaged-padding" \
        in made.stdout
    scaffold = path.read_text()
    unfinished = _python(repo, "-c", "from minimodel.catalogue import find_break, metadata_problems; "
                                     "print(metadata_problems(find_break('averaged-padding')))")
    assert "TODO placeholders" in unfinished.stdout, unfinished.stdout + unfinished.stderr
    for placeholder, text in FILLED.items():
        assert scaffold.count(placeholder) == 1, placeholder
        scaffold = scaffold.replace(placeholder, text)
    assert "TODO" not in scaffold
    path.write_text(scaffold)
    after = _files(repo)
    assert {f for f in after.keys() | before.keys() if after.get(f) != before.get(f)} == \
        {f"breaks/{slug}.py"}  # the only file written by hand
    drift = _python(repo, "-m", "minimodel.cli", "check", "--drift", "--only", "broken-averaged-padding")
    assert drift.returncode == 1 and "broken-averaged-padding      ok" in drift.stdout  # complete, but not done:
    for step in (f"notebooks/{slug}.ipynb is missing", "just answer-keys --only broken-averaged-padding",
                 "README.md is outdated", "just catalogue", "just drill outcomes"):
        assert step in drift.stdout, drift.stdout
    checked = _python(repo, "-c", CONTRACT)
    assert checked.returncode == 0, checked.stderr[-2000:]
    result = json.loads(checked.stdout.strip().splitlines()[-1])
    assert result["library"].startswith(str(repo)) and result["module"] == f"minimodel.breaks.{slug}"
    assert result["metadata"] == [] and result["contract"] == []
    for command in (["-m", "minimodel.notebooks"], ["-m", "minimodel.cli", "answer-keys", "--only", "averaged-padding"],
                    ["-m", "minimodel.cli", "catalogue"],
                    ["-m", "minimodel.cli", "drill", "outcomes", "--only", "averaged-padding"]):
        done = _python(repo, *command)  # the commands `just new` lists: every other file follows from the break
        assert done.returncode == 0, (command, done.stdout[-1000:], done.stderr[-1000:])
    drift = _python(repo, "-m", "minimodel.cli", "check", "--drift", "--only", "broken-averaged-padding")
    assert drift.returncode == 0, drift.stdout
