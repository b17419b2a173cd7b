"""`just check` fails on drift: a missing or stale answer key or catalogue page, each with its fixing command."""
import json

import pytest

from typer.testing import CliRunner

from minimodel.catalogue import find_break, load_catalogue
from minimodel.cli import app
from minimodel.harness.answer_keys import key_path, key_problems
from minimodel.harness.drift import ROOT
from minimodel.harness.measurements import (CALIBRATIONS, CHECKUP_PAGE, PAGE, RESULTS, MeasurementsError,
                                           catalogue_problems, competence_rows, load_calibrations, save_calibration,
                                           write_catalogue)

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
    for folder in (RESULTS, CALIBRATIONS):  # what the measurement page is made from
        (root / folder).mkdir()
        for measured in (ROOT / folder).glob("*.json"):
            (root / folder / measured.name).write_bytes(measured.read_bytes())
    (problem,) = catalogue_problems(catalogue, root)
    assert "README.md is outdated" in problem and "just catalogue" in problem
    assert write_catalogue(catalogue, echo=lambda _: None, root=root) == 1
    assert catalogue_problems(catalogue, root) == [] and catalogue[1].title in (root / "README.md").read_text()
    assert catalogue_problems(catalogue[:-1], root)  # a break gone: its row must go too


def test_a_calibration_joins_the_competence_table_and_a_damaged_one_says_what_to_run(tmp_path):
    catalogue = load_catalogue()
    controls = {"rows-all": {0: {"steps": 2100, "stopped": 840, "steps_to_bar": 700, "score": 1.0},
                             1: {"steps": 2100, "stopped": 1400, "steps_to_bar": 1260, "score": 0.985}}}
    path = save_calibration(controls, "just calibrate --seeds 0-1", root=tmp_path)
    save_calibration({"rows-all": {2: {"steps": 2100, "stopped": 2100, "steps_to_bar": None, "score": 0.9}}}, "again",
                     root=tmp_path)
    calibrations = load_calibrations(tmp_path)
    assert list(calibrations) == [path.stem]
    assert sorted(calibrations[path.stem]["recipes"]["rows-all"]) == ["0", "1", "2"]  # merged, not replaced
    row = next(r for r in competence_rows(catalogue, {}, calibrations) if "`rows-all`" in r)
    assert row == f"| `rows-all` | {path.stem} | 0–2 | never | 1400 | 2100 (2100) | 90.0 % | calibrate |"
    path.write_text("[]")
    with pytest.raises(MeasurementsError, match="rebuild it with: just calibrate --seeds 0-9"):
        load_calibrations(tmp_path)


def test_each_processor_keeps_its_own_measurements_and_controls(tmp_path, monkeypatch):
    from minimodel import settings
    from minimodel.harness import control_cache
    from minimodel.recipes import get_recipe

    stems, keys = [], []
    for cpu in ("Intel(R) Xeon(R) Processor", "AMD EPYC"):
        monkeypatch.setattr(settings, "cpu_name", lambda cpu=cpu: cpu)
        stems.append(save_calibration({"rows-all": {0: {"steps": 2100, "steps_to_bar": 700, "score": 1.0}}},
                                      "just calibrate", root=tmp_path).stem)
        keys.append(control_cache.entry_path(control_cache.entry_key(get_recipe("rows-all"), 0)))
    assert [s.split("-1t-")[0] for s in stems] == ["intel-xeon", "amd-epyc"]  # one CPU never overwrites another's
    assert load_calibrations(tmp_path).keys() == set(stems)
    assert keys[0] != keys[1]  # a cache carried to another CPU is trained again, not trusted
