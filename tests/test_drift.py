"""`just check` fails on drift: a missing or stale answer key or README catalogue row, each with its fixing command."""
import json

from typer.testing import CliRunner

from minimodel.catalogue import find_break, load_catalogue
from minimodel.cli import app
from minimodel.harness.answer_keys import key_path, key_problems
from minimodel.harness.drift import ROOT, readme_problems

NO_MASK = find_break("broken-no-mask")


def test_the_repository_has_no_drift():
    r = CliRunner().invoke(app, ["check", "--drift"])
    assert r.exit_code == 0, r.output
    assert "generated files and the README: current" in r.output and "FAILED" not in r.output


def test_an_answer_key_that_is_missing_damaged_or_made_for_other_questions(tmp_path):
    assert key_problems(NO_MASK, ROOT / "solutions") == []
    (missing,) = key_problems(NO_MASK, tmp_path)
    assert "is missing" in missing and "just answer-keys --only broken-no-mask" in missing
    path = key_path(NO_MASK, tmp_path)
    path.parent.mkdir(parents=True)
    key = json.loads(key_path(NO_MASK, ROOT / "solutions").read_text())
    key["questions"]["ar_exact_match"]["tolerance"] = 99
    key["steps"] = 7
    path.write_text(json.dumps(key))
    (stale,) = key_problems(NO_MASK, tmp_path)
    assert "is stale (its questions and steps differ" in stale and "just answer-keys --only broken-no-mask" in stale
    path.write_text("{")
    assert "not readable JSON" in key_problems(NO_MASK, tmp_path)[0]


def test_a_readme_row_that_is_missing_stale_or_for_no_break(tmp_path):
    catalogue = load_catalogue()
    assert readme_problems(catalogue, ROOT / "README.md") == []
    rows = [f"| `{b.tag}` | {b.title} | fires | 100 % | 1 s |" for b in catalogue[1:]]
    rows[0] = rows[0].replace(catalogue[1].title, "an old title")
    rows.append("| `broken-gone` | Removed | - | - | - |")
    readme = tmp_path / "README.md"
    readme.write_text("## The catalogue\n\n| tag | title |\n|---|---|\n" + "\n".join(rows) + "\n")
    problems = readme_problems(catalogue, readme)
    assert len(problems) == 3
    assert f"no catalogue row for {catalogue[0].tag}" in problems[0] and "just check --seeds 0-9" in problems[0]
    assert f"row for {catalogue[1].tag} has the title 'an old title'" in problems[1]
    assert "row for broken-gone, which is no break" in problems[2]
