"""The blind drill: deals, what a learner can read before the reveal, diagnoses, the reveal and its grading."""
import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from minimodel import drill
from minimodel.catalogue import load_catalogue
from minimodel.classroom import drills, predictions as P
from minimodel.classroom.drill_grade import PARTIAL, score_one
from minimodel.classroom.learners import LearnerError
from minimodel.cli import app
from minimodel.harness import drill_pool
from minimodel.notebooks import drill_notebook
from minimodel.notebooks.generate import from_cells, render

runner = CliRunner()
CATALOGUE = load_catalogue()
POOL = drill_pool.pool()
# a small pool for the end-to-end drill: two evaluation-side breaks (re-measured) and one that trains
PHASES = ["generation", "evaluation", "data format"]


def names_of_breaks() -> list[str]:
    """Everything that would name a break: tags, ids, titles, module slugs."""
    return [s for b in CATALOGUE for s in (b.tag, b.id, b.title, b.slug)]


def files_naming_a_break(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for path in Path(folder).rglob("*") if Path(folder).exists() else []:
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path} names {n!r}" for n in names_of_breaks() if n.encode() in data]
    return found


@pytest.fixture
def classroom(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.setenv("MINIMODEL_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("MINIMODEL_DRILL_SALT", "class-secret-1")
    monkeypatch.setenv("MINIMODEL_HEADLESS", "1")
    return tmp_path


def test_the_pool_leaves_out_own_task_no_effect_and_half_trained_breaks():
    tags = {b.tag for b in POOL}
    assert len(POOL) >= 12
    assert not tags & {"broken-memorise-sentence", "broken-no-scale", "broken-no-positions", "broken-tf-eval"}
    with pytest.raises(drill_pool.DrillError, match="unknown phase"):
        drill_pool.pool(["nonsense"])


def test_the_committed_pool_is_decidable_and_a_synthetic_twin_pool_is_refused():
    outcomes = drill_pool.load_outcomes()
    assert drill_pool.outcome_problems(POOL, outcomes) == []
    assert drill_pool.distinguishability_problems(POOL, outcomes) == []
    a, b = POOL[0], POOL[1]
    twins = {"breaks": {a.tag: {"abnormal": sorted(a.detectors)}, b.tag: {"abnormal": sorted(a.detectors)}}}
    problems = drill_pool.distinguishability_problems([a, b], twins)
    assert len(problems) == 2  # the pair, and b not showing its own symptoms
    assert f"{a.tag} and {b.tag} are abnormal on the same detectors" in problems[0]
    assert drill_pool.indistinguishable({"x": {"leak_test"}, "y": {"leak_test"}, "z": set()}) == [("x", "y")]


def test_outcomes_made_under_another_recipe_setting_are_stale():
    """A recalibrated rate changes every run of that recipe: the stored outcomes no longer describe the drill."""
    outcomes = json.loads(json.dumps(drill_pool.load_outcomes()))
    brk = POOL[0]
    outcomes["breaks"][brk.tag]["config"]["lr"] *= 2
    problems = drill_pool.outcome_problems(POOL, outcomes)
    assert len(problems) == 1 and f"stale ({brk.tag})" in problems[0] and "just drill outcomes" in problems[0]


def test_deals_are_deterministic_per_learner_and_salt_and_differ_between_learners(classroom, monkeypatch):
    order = {}
    for name in ("ada", "bob", "cy", "dee"):
        deal, new = drills.deal(name, 5)
        assert new and drills.ids_of(deal) == [f"drill-{i}" for i in range(1, 6)]
        order[name] = [drills.break_of(deal, i).tag for i in drills.ids_of(deal)]
        assert len(set(order[name])) == 5
    assert len({tuple(o) for o in order.values()}) > 1  # not everyone gets the same breaks in the same order
    again, new = drills.deal("ada", 5)
    assert not new and [drills.break_of(again, i).tag for i in drills.ids_of(again)] == order["ada"]
    with pytest.raises(drills.DrillError, match="already dealt"):
        drills.deal("ada", 3)
    with pytest.raises(drills.DrillError, match="must be 1 to"):
        drills.deal("eve", 99)
    with pytest.raises(LearnerError, match="path separator"):
        drills.deal("../eve", 5)
    monkeypatch.setenv("MINIMODEL_DRILL_SALT", "another-class")
    other, _ = drills.deal("bob2", 5)
    deal, _ = drills.deal("ada", 5)  # the stored deal stands; under another salt its checks do not verify
    truth = drills.break_of(deal, "drill-1")
    assert drills.verified(deal, "drill-1", truth, "class-secret-1") == "yes"
    assert drills.verified(deal, "drill-1", truth, "another-class") == "no"


def test_bad_diagnoses_are_one_line_errors_and_nothing_is_written(classroom):
    drills.deal("ada", 3, PHASES)
    seam = next(c for c in drill.choices() if ":" not in c)
    for args, says in [(("drill-9", seam, [], "low"), "was not dealt"),
                       (("drill-1", "the GPU is haunted", [], "low"), "names no seam or break"),
                       (("drill-1", seam, ["vibes"], "low"), "unknown evidence"),
                       (("drill-1", seam, "attention", "low"), "must be a list"),
                       (("drill-1", seam, [], ""), "confidence"),
                       (("drill-1", seam, [], None), "confidence")]:
        with pytest.raises(drills.DrillError, match=says) as e:
            drills.seal_diagnosis("ada", *args)
        assert "\n" not in str(e.value)
    assert drills.diagnoses("ada") == []
    with pytest.raises(drills.DrillError, match="no drill dealt"):
        drills.seal_diagnosis("zed", "drill-1", seam, [], "low")


def test_scoring_exact_seam_family_and_wrong():
    by_tag = {b.tag: b for b in POOL}
    options = drill_pool.choices(POOL)
    as_choice = {v.tag: k for k, v in options.items() if not isinstance(v, str)}
    no_mask, off_by_one = by_tag["broken-no-mask"], by_tag["broken-mask-off-by-one"]
    assert score_one(no_mask, as_choice["broken-no-mask"], POOL)[:3] == (1, "broken-no-mask", True)
    assert score_one(no_mask, as_choice["broken-mask-off-by-one"], POOL)[0] == PARTIAL  # same family
    assert score_one(no_mask, "causal_mask", POOL)[0] == PARTIAL  # a seam two breaks of the pool share
    assert score_one(by_tag["broken-heads-no-transpose"], "split_heads", POOL)[0] == 1  # a seam only it replaces
    assert score_one(no_mask, as_choice["broken-short-generation"], POOL)[0] == 0
    assert score_one(off_by_one, None, POOL)[0] == 0


def test_a_drill_end_to_end_names_nothing_before_the_reveal_then_grades(classroom, capfd, monkeypatch):
    shared = Path(os.environ["MINIMODEL_CACHE"])  # other tests cache named break runs there, at any moment
    cache = classroom / "cache"
    cache.mkdir()
    for entry in shared.glob("control-*.pt"):  # healthy controls name no break: reuse them, they cost seconds
        shutil.copy(entry, cache / entry.name)
    monkeypatch.setenv("MINIMODEL_CACHE", str(cache))
    r = runner.invoke(app, ["drill", "deal", "--learner", "ada", "--n", "3", "--pool", ",".join(PHASES)])
    assert r.exit_code == 0, r.output
    ids = drill.open_deal("ada", 3)
    deal = drills.read_deal("ada")
    truth = {i: drills.break_of(deal, i) for i in ids}
    for i in ids:
        drill.dashboard("ada", i)
    found = drill.request("ada", ids[0], truth[ids[0]].detectors[0])  # a readout of its own symptom
    assert found is not None and found.fired
    right = next(k for k, v in drill_pool.choices(POOL).items() if v is truth[ids[0]])
    drills.seal_diagnosis("ada", ids[0], right, [truth[ids[0]].detectors[0]], "high")
    drills.seal_diagnosis("ada", ids[1], "causal_mask", ["attention"], "medium")
    drill.diagnose("ada", ids)  # headless: a default diagnosis for the id still without one

    notebook = classroom / "drill.ipynb"
    notebook.write_text(render(from_cells(drill_notebook.CELLS)))
    before = files_naming_a_break(classroom / "learners", classroom / "runs", notebook)
    before += files_naming_a_break(cache)
    assert before == []
    shown = "".join(capfd.readouterr())  # everything the dashboards, readouts and seals printed, progress bars too
    assert "drill-1" in shown and [n for n in names_of_breaks() if n in shown] == []

    r = runner.invoke(app, ["drill", "reveal", "--learner", "ada"])
    assert r.exit_code == 0 and all(truth[i].tag in r.output for i in ids), r.output
    drills.seal_diagnosis("ada", ids[2], right, [], "low")  # after the reveal: allowed, flagged, not graded

    no_mask = next(b for b in CATALOGUE if b.tag == "broken-no-mask")  # open-mode work in the same folder
    P.seal("ada", no_mask, {q.id: q.default or "it copies" for q in no_mask.questions},
           confidence={q.id: "high" for q in no_mask.questions})

    out = classroom / "graded"
    r = runner.invoke(app, ["grade", str(classroom / "learners"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    with open(out / "gradebook.csv", newline="") as f:
        open_rows = list(csv.DictReader(f))
    assert {row["confidence"] for row in open_rows} == {"high"} and len(open_rows) == len(no_mask.questions)
    assert any(row["learning_event"] == "confidently wrong" for row in open_rows)  # defaults miss the leak
    with open(out / "drill.csv", newline="") as f:
        rows = {row["drill_id"]: row for row in csv.DictReader(f)}
    assert set(rows) == set(ids)
    first = rows[ids[0]]
    assert (first["true_break"], first["score"], first["exact"], first["evidence_valid"]) == \
        (truth[ids[0]].tag, "1", "yes", "yes")
    assert first["requests_before_seal"] == "1" and first["sealed_before_reveal"] == "yes"
    assert first["deal_verified"] == "yes" and first["confidence"] == "high"
    assert rows[ids[1]]["score"] == "0" and rows[ids[1]]["evidence_valid"] == "no"  # attention was normal there
    assert "sealed after the reveal" in rows[ids[2]]["notes"] and rows[ids[2]]["confidence"] == "low"
    report = (out / "report.md").read_text()
    assert "## Blind drills" in report and "lack fields" not in r.output
    assert "### Confusion matrix (true break x diagnosis)" in report
    assert f"| {truth[ids[0]].tag} |" in report


def test_a_hand_edited_diagnosis_is_skipped_with_one_line(classroom):
    drills.deal("ada", 2, ["generation", "evaluation"])
    seam = next(c for c in drill.choices() if ":" not in c)
    drills.seal_diagnosis("ada", "drill-1", seam, [], "low")
    path = classroom / "learners" / "ada" / "drill" / "diagnoses.json"
    path.write_text(json.dumps(json.loads(path.read_text()) + [{"id": "drill-2"}]))
    r = runner.invoke(app, ["grade", str(classroom / "learners"), "--out", str(classroom / "out")])
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert "1 diagnosis record(s) lack fields" in r.output


def test_the_cli_refuses_bad_drill_input_with_one_line(classroom):
    runner.invoke(app, ["drill", "deal", "--learner", "ada", "--n", "2", "--pool", "generation,evaluation"])
    for args, says in [(["drill", "deal", "--learner", "a/b"], "path separator"),
                       (["drill", "deal", "--learner", "bob", "--pool", "nope"], "unknown phase"),
                       (["drill", "request", "drill-1", "vibes", "--learner", "ada"], "unknown detector"),
                       (["drill", "request", "drill-7", "leak_test", "--learner", "ada"], "was not dealt"),
                       (["drill", "diagnose", "drill-1", "--learner", "ada", "--choice", "x", "--confidence", "low"],
                        "names no seam"),
                       (["drill", "reveal", "--learner", "nobody"], "no drill dealt")]:
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, (args, r.output)
    deal_path = classroom / "learners" / "ada" / "drill" / "deal.json"
    tampered = json.loads(deal_path.read_text())
    tampered["ids"][0]["ticket"] = "not base64!"
    deal_path.write_text(json.dumps(tampered))
    r = runner.invoke(app, ["drill", "request", "drill-1", "leak_test", "--learner", "ada"])
    assert r.exit_code == 2 and "damaged" in r.output and "Traceback" not in r.output, r.output
    damaged = deal_path
    damaged.write_text(json.dumps({"learner": "ada"}))
    r = runner.invoke(app, ["drill", "deal", "--learner", "ada", "--n", "2", "--pool", "generation,evaluation"])
    assert r.exit_code == 2 and "ask for a new deal" in r.output
    assert json.loads(damaged.read_text()) == {"learner": "ada"}  # never overwritten
