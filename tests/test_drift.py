"""`just check` fails on drift: a missing or stale answer key or catalogue page, each with its fixing command."""
import json

from typer.testing import CliRunner

from minimodel.catalogue import find_break, load_catalogue
from minimodel.cli import app
from minimodel.harness.answer_keys import key_path, key_problems
from minimodel.harness.drift import ROOT
from minimodel.harness.measurements import CHECKUP_PAGE, PAGE, RESULTS, catalogue_problems, write_catalogue

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


def test_the_catalogue_pages_are_generated_and_a_stale_row_is_caught(tmp_path):
    catalogue = load_catalogue()
    assert catalogue_problems(catalogue) == []
    root = tmp_path / "repo"
    (root / PAGE).parent.mkdir(parents=True)
    (root / "README.md").write_text((ROOT / "README.md").read_text().replace(catalogue[1].title, "an old title"))
    (root / PAGE).write_text((ROOT / PAGE).read_text())
    (root / CHECKUP_PAGE).write_text((ROOT / CHECKUP_PAGE).read_text())
    (root / RESULTS).mkdir()
    for measured in (ROOT / RESULTS).glob("*.json"):  # what the measurement page is made from
        (root / RESULTS / measured.name).write_bytes(measured.read_bytes())
    (problem,) = catalogue_problems(catalogue, root)
    assert "README.md is outdated" in problem and "just catalogue" in problem
    assert write_catalogue(catalogue, echo=lambda _: None, root=root) == 1
    assert catalogue_problems(catalogue, root) == [] and catalogue[1].title in (root / "README.md").read_text()
    assert catalogue_problems(catalogue[:-1], root)  # a break gone: its row must go too
