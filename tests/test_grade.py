"""Grading a class of real learner folders: real short runs, real prediction files, damaged ones too."""
import csv
import json
import shutil

import pytest
from typer.testing import CliRunner

from minimodel.classroom import explanations as E, learners as L, predictions as P
from minimodel.harness.answer_keys import key_path, load_answer_key, write_answer_key
from minimodel.catalogue import find_break
from minimodel.cli import app
from minimodel.classroom.learner_runs import train_for_learner
from minimodel.classroom.grade import COLUMNS, grade

NO_MASK = find_break("broken-no-mask")
STEPS = 20


def quiet(*_a, **_k):
    pass


def other_option(question_id: str, observed: str) -> str:
    q = next(q for q in NO_MASK.questions if q.id == question_id)
    return next(o for o in q.options if o != observed)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory):
    """Six learner folders made the way learners make them, plus a few damaged files."""
    base = tmp_path_factory.mktemp("class")
    learners = base / "learners"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINIMODEL_LEARNERS", str(learners))
        mp.setenv("MINIMODEL_RUNS", str(base / "runs"))
        mp.setenv("MINIMODEL_SOLUTIONS", str(base / "solutions"))
        write_answer_key(NO_MASK, seed=0, steps=STEPS)  # the same recipe, seed and steps as the runs below
        key = load_answer_key(NO_MASK)["answers"]
        right = {"loss_vs_floor": key["loss_vs_floor"], "future_attention": key["future_attention"],
                 "ar_exact_match": key["ar_exact_match"] + 40, "explain": "every position reads its target"}

        P.seal("ada", NO_MASK, right)  # sealed, two hints, then run
        L.record_hint("ada", NO_MASK, 1)
        L.record_hint("ada", NO_MASK, 2)
        train_for_learner(NO_MASK.tag, steps=STEPS, learner="ada", echo=quiet)

        wrong = {**right, "loss_vs_floor": other_option("loss_vs_floor", key["loss_vs_floor"])}
        P.seal("cara", NO_MASK, wrong)  # sealed, run, then revised to what the run showed
        train_for_learner(NO_MASK.tag, steps=STEPS, learner="cara", echo=quiet)
        P.seal("cara", NO_MASK, right)

        train_for_learner(NO_MASK.tag, steps=STEPS, learner="bob", echo=quiet)  # ran without predicting

        sure = {q.id: "high" for q in NO_MASK.questions}  # sure and wrong, then explained after the run
        P.seal("gina", NO_MASK, wrong, confidence=sure)
        E.seal("gina", NO_MASK, "=HYPERLINK(\"http://x\") before the run: I expect nothing odd")
        train_for_learner(NO_MASK.tag, steps=STEPS, learner="gina", echo=quiet)
        E.seal("gina", NO_MASK, "I was sure it would learn; the loss went under the floor because every query "
                                "reads its own target.")
        P.seal("hal", NO_MASK, wrong, confidence=sure)  # sure and wrong, never explained
        train_for_learner(NO_MASK.tag, steps=STEPS, learner="hal", echo=quiet)

        (learners / "dave").mkdir()  # a truncated prediction file
        (learners / "dave" / "broken-no-mask.prediction.json").write_text('{"versions": [{"answers": {"loss')

        partial = {"loss_vs_floor": key["loss_vs_floor"]}  # written by hand: only one question answered
        (learners / "erin").mkdir()
        (learners / "erin" / "broken-no-mask.prediction.json").write_text(json.dumps(
            {"learner": "erin", "break": NO_MASK.tag, "versions": [
                {"answers": partial, "sealed_at": "2026-01-01T00:00:00+00:00",
                 "digest": P.digest("erin", NO_MASK.tag, partial)}]}))
        (learners / "erin" / "broken-no-mask.hints.json").write_text(json.dumps(
            [{"level": 3, "revealed_at": "2025-12-31T23:00:00+00:00"}]))  # looked at hint 3 before sealing

        P.seal("frank", NO_MASK, right)  # a run whose manifest lost its findings
        run = learners / "frank" / "runs" / NO_MASK.tag
        run.mkdir(parents=True)
        manifest = json.loads((learners / "ada" / "runs" / NO_MASK.tag / "manifest.json").read_text())
        manifest.update(learner="frank", findings=[], prediction=None)
        (run / "manifest.json").write_text(json.dumps(manifest))

        (learners / "ada" / "broken-nothing.prediction.json").write_text(
            (learners / "ada" / "broken-no-mask.prediction.json").read_text())
        (learners / "ada" / "baseline.runs.json").write_text("[]")  # a baseline run: not graded, not a problem
        (learners / "bad name").mkdir()
        (learners / ".hidden").mkdir()
        book = grade(learners)
    return base, key, right, book


def rows_of(book, learner):
    return {r["question"]: r for r in book.rows if r["learner"] == learner}


def test_sealed_then_run_grades_as_sealed_before_run_with_the_right_scores(classroom):
    _, key, right, book = classroom
    ada = rows_of(book, "ada")
    assert [ada[q.id]["score"] for q in NO_MASK.questions] == [1, 1, 0, ""]  # the number was 40 points off
    assert {r["observed"] for r in ada.values()} >= {key["loss_vs_floor"], key["future_attention"]}
    assert float(ada["ar_exact_match"]["observed"]) == key["ar_exact_match"]  # the run agrees with the key
    assert all(r["graded_against"] == "run" for q, r in ada.items() if q != "explain")
    assert ada["explain"]["predicted"] == right["explain"] and ada["explain"]["max_score"] == ""
    for r in ada.values():
        assert (r["sealed_before_run"], r["revised_after_run"], r["missing"]) == ("yes", "no", "no")
        assert r["hints_used"] == 2 and r["digest_ok"] == "yes" and r["sealed_at"] <= r["first_run_at"]


def test_a_prediction_revised_after_the_run_is_flagged_and_the_sealed_one_graded(classroom):
    _, key, _, book = classroom
    cara = rows_of(book, "cara")
    assert all(r["revised_after_run"] == "yes" and r["sealed_before_run"] == "yes" for r in cara.values())
    assert cara["loss_vs_floor"]["revision_graded"] == 1 and cara["loss_vs_floor"]["revisions"] == 2
    assert cara["loss_vs_floor"]["score"] == 0
    assert cara["loss_vs_floor"]["revised_answer"] == key["loss_vs_floor"]


def test_confidence_and_explanations_make_the_best_learning_events(classroom):
    _, key, _, book = classroom
    gina, hal, ada = rows_of(book, "gina"), rows_of(book, "hal"), rows_of(book, "ada")
    assert gina["loss_vs_floor"]["score"] == 0 and gina["loss_vs_floor"]["confidence"] == "high"
    assert gina["loss_vs_floor"]["learning_event"] == "confidently wrong, then explained"
    assert gina["future_attention"]["learning_event"] == ""  # right: no event
    assert gina["loss_vs_floor"]["explained_after_run"] == "yes"
    assert "under the floor" in gina["loss_vs_floor"]["explanation"]
    assert hal["loss_vs_floor"]["learning_event"] == "confidently wrong" and hal["loss_vs_floor"]["explanation"] == ""
    assert ada["loss_vs_floor"]["confidence"] == "" and "sealed without a confidence" in ada["loss_vs_floor"]["notes"]
    from minimodel.classroom.gradebook import report
    text = report(book, "learners")
    assert "### Confidently wrong, then explained" in text and "| gina | broken-no-mask | loss_vs_floor |" in text
    assert "Confidently wrong with no explanation after the run yet: hal x broken-no-mask." in text


def test_missing_predictions_are_listed_and_score_nothing(classroom):
    base, _, _, book = classroom
    bob = rows_of(book, "bob")
    assert all(r["missing"] == "yes" and r["sealed_before_run"] == "no" for r in bob.values())
    assert [bob[q.id]["score"] for q in NO_MASK.questions] == [0, 0, 0, ""]
    dave = rows_of(book, "dave")
    assert all(r["missing"] == "yes" and "unreadable" in r["notes"] for r in dave.values())


def test_bad_files_are_reported_one_line_each_and_the_rest_still_graded(classroom):
    _, key, right, book = classroom
    problems = "\n".join(book.problems)
    assert "dave/broken-no-mask.prediction.json is not readable JSON" in problems and "move it aside" in problems
    assert "broken-nothing.prediction.json: unknown break 'broken-nothing'" in problems
    assert "bad name: refused" in problems and ".hidden: refused" in problems and "baseline" not in problems
    assert "frank/runs/broken-no-mask/manifest.json: the manifest has no findings" in problems
    assert book.learners == ["ada", "bob", "cara", "dave", "erin", "frank", "gina", "hal"]
    erin = rows_of(book, "erin")
    assert erin["loss_vs_floor"]["score"] == 1 and erin["loss_vs_floor"]["graded_against"] == "answer_key"
    assert erin["ar_exact_match"]["score"] == 0 and "unanswered" in erin["ar_exact_match"]["notes"]
    assert erin["loss_vs_floor"]["hints_used"] == 3 and "before the graded prediction" in erin["loss_vs_floor"]["notes"]
    frank = rows_of(book, "frank")
    assert all(frank[q]["graded_against"] == "answer_key" for q in ("loss_vs_floor", "ar_exact_match"))
    assert [frank[q.id]["score"] for q in NO_MASK.questions] == [1, 1, 0, ""]


def test_hand_edited_or_copied_predictions_show_up(classroom, tmp_path):
    base, _, _, _ = classroom
    learners = tmp_path / "learners"
    shutil.copytree(base / "learners" / "ada", learners / "ada")
    shutil.copytree(base / "learners" / "ada", learners / "mallory")  # copied from a classmate
    path = learners / "ada" / "broken-no-mask.prediction.json"
    data = json.loads(path.read_text())
    data["versions"][0]["answers"]["ar_exact_match"] = 0  # edited by hand after the run
    path.write_text(json.dumps(data))
    book = grade(learners, solutions=base / "solutions")
    ada = rows_of(book, "ada")
    assert ada["ar_exact_match"]["digest_ok"] == "no" and "edited by hand" in ada["ar_exact_match"]["notes"]
    assert any("mallory/broken-no-mask.prediction.json" in p and "'ada'" in p for p in book.problems)


def test_cli_writes_the_gradebook_and_report_and_exits_by_what_it_could_grade(classroom, tmp_path):
    base, _, _, _ = classroom
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(app, ["grade", str(base / "learners"), "--out", str(out),
                            "--solutions", str(base / "solutions")])
    assert r.exit_code == 0, r.output
    assert "warning:" in r.output and "broken-nothing" in r.output
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == COLUMNS and len(rows) == 8 * len(NO_MASK.questions)
    report = (out / "report.md").read_text()
    assert "| ada | 2/3 |" in report and "## Missing predictions" in report and "- bob: broken-no-mask" in report
    assert "broken-no-mask / loss_vs_floor" in report and "x3" in report  # cara, gina, hal
    assert "tamper-evident, not tamper-proof" in report

    only_bad = tmp_path / "only_bad"
    (only_bad / "zed").mkdir(parents=True)
    (only_bad / "zed" / "broken-no-mask.prediction.json").write_text("not json")
    r = runner.invoke(app, ["grade", str(only_bad)])
    assert r.exit_code == 1 and "nothing could be graded" in r.output
    r = runner.invoke(app, ["grade", str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "is not a folder" in r.output
    r = runner.invoke(app, ["grade", str(base / "learners"), "--breaks", "broken-nothing"])
    assert r.exit_code == 2 and "unknown break" in r.output


def test_answer_key_lives_in_solutions_under_the_module_name(classroom):
    base, key, _, _ = classroom
    path = key_path(NO_MASK, base / "solutions")
    assert path == base / "solutions" / "b02_no_mask" / "answer_key.json"
    stored = json.loads(path.read_text())
    assert stored["break"] == NO_MASK.tag and stored["steps"] == STEPS
    assert set(stored["answers"]) == {q.id for q in NO_MASK.questions if q.kind != "text"}
    q = {q.id: q for q in NO_MASK.questions}
    assert stored["answers"]["loss_vs_floor"] in q["loss_vs_floor"].options
