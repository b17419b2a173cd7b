"""Sealed predictions: learner names, answer checks, kept history, hints, and runs that record the seal."""
import json

import pytest
from typer.testing import CliRunner

from minimodel.classroom import learners as L, predictions as P
from minimodel.catalogue import find_break
from minimodel.cli import app

runner = CliRunner()
NO_MASK = find_break("broken-no-mask")
GOOD = {"loss_vs_floor": "far below it (under half)", "future_attention": "yes, a visible share",
        "ar_exact_match": 10, "explain": "Without the mask every position reads its own target."}
SURE = {"loss_vs_floor": "high", "future_attention": "medium", "ar_exact_match": "low", "explain": "high"}


@pytest.fixture
def learners(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path / "learners"))
    monkeypatch.setenv("MINIMODEL_RUNS", str(tmp_path / "runs"))
    return tmp_path / "learners"


@pytest.mark.parametrize("name", ["ada", "Ada.Lovelace", "b_2-x"])
def test_safe_names_pass(name):
    assert L.check_learner(name) == name


@pytest.mark.parametrize("name", ["", " ", "../ada", "..", "a/b", "a\\b", ".hidden", "x..y", "a b", "é", "a" * 65])
def test_unsafe_names_are_refused_with_one_line(name):
    with pytest.raises(L.LearnerError) as e:
        L.check_learner(name)
    assert "\n" not in str(e.value)


def test_answers_are_checked_against_the_questions(learners):
    for bad, says in [({**GOOD, "loss_vs_floor": "maybe"}, "not one of the options"),
                      ({**GOOD, "ar_exact_match": "lots"}, "not a number"),
                      ({**GOOD, "ar_exact_match": True}, "not a number"),
                      ({**GOOD, "explain": 3}, "must be text"),
                      ({k: v for k, v in GOOD.items() if k != "future_attention"}, "unanswered"),
                      ({**GOOD, "extra": 1}, "has no question")]:
        with pytest.raises(P.PredictionError, match=says):
            P.seal("ada", NO_MASK, bad)
    assert not (learners / "ada" / "broken-no-mask.prediction.json").exists()
    v = P.seal("ada", NO_MASK, {**GOOD, "loss_vs_floor": " Far below it (under half) ", "ar_exact_match": "10"})
    assert v["answers"] == GOOD  # canonical option spelling, numbers as numbers


def test_resealing_keeps_every_version_and_same_answers_add_nothing(learners):
    first = P.seal("ada", NO_MASK, GOOD)
    assert P.seal("ada", NO_MASK, dict(GOOD)) == first
    second = P.seal("ada", NO_MASK, {**GOOD, "ar_exact_match": 60})
    data = json.loads((learners / "ada" / "broken-no-mask.prediction.json").read_text())
    assert [v["revision"] for v in data["versions"]] == [1, 2]
    assert data["versions"][0] == first and data["versions"][1] == second
    assert P.current("ada", NO_MASK) == second and P.current("bob", NO_MASK) is None
    assert second["digest"] != first["digest"]
    assert P.digest("bob", NO_MASK.tag, GOOD) != first["digest"] == P.digest("ada", NO_MASK.tag, GOOD)


def test_a_damaged_prediction_file_is_never_overwritten(learners):
    path = learners / "ada" / "broken-no-mask.prediction.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"versions": [{"answers": ')
    with pytest.raises(P.PredictionError, match="move it aside"):
        P.seal("ada", NO_MASK, GOOD)
    assert path.read_text() == '{"versions": [{"answers": '


def test_hints_are_appended_in_order(learners):
    L.record_hint("ada", NO_MASK, 1)
    L.record_hint("ada", NO_MASK, 2)
    assert [h["level"] for h in L.hints("ada", NO_MASK)] == [1, 2]
    with pytest.raises(L.LearnerError, match="hint level"):
        L.record_hint("ada", NO_MASK, len(NO_MASK.hints) + 1)


def test_confidence_is_sealed_with_the_answers_and_checked(learners):
    for bad, says in [({**SURE, "ar_exact_match": "certain"}, "not one of low, medium, high"),
                      ({k: v for k, v in SURE.items() if k != "explain"}, "missing confidence for explain"),
                      ({**SURE, "extra": "low"}, "unknown question"),
                      ("high", "must be a mapping")]:
        with pytest.raises(P.PredictionError, match=says) as e:
            P.seal("ada", NO_MASK, GOOD, confidence=bad)
        assert "\n" not in str(e.value)
    assert not (learners / "ada" / "broken-no-mask.prediction.json").exists()
    v = P.seal("ada", NO_MASK, GOOD, confidence={**SURE, "explain": " HIGH "})
    assert v["confidence"] == SURE
    assert v["digest"] == P.digest("ada", NO_MASK.tag, GOOD, SURE) != P.digest("ada", NO_MASK.tag, GOOD)
    less_sure = P.seal("ada", NO_MASK, GOOD, confidence={**SURE, "loss_vs_floor": "low"})
    assert less_sure["revision"] == 2  # the same answers with another confidence are a new version


def test_cli_predict_then_run_records_the_seal_and_a_run_without_one_records_none(learners, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**GOOD, "confidence": SURE}))
    r = runner.invoke(app, ["predict", "broken-no-mask", "--learner", "ada", "--answers", str(answers)])
    assert r.exit_code == 0, r.output
    sealed = P.current("ada", NO_MASK)
    r = runner.invoke(app, ["exp", "17-train-mini", "--tag", "broken-no-mask", "--steps", "20", "--learner", "ada"])
    assert r.exit_code == 0, r.output
    manifest = json.loads((learners / "ada" / "runs" / "broken-no-mask" / "manifest.json").read_text())
    assert manifest["learner"] == "ada"
    assert manifest["prediction"]["digest"] == sealed["digest"]
    assert manifest["prediction"]["sealed_at"] == sealed["sealed_at"] <= manifest["started_at"]
    log = json.loads((learners / "ada" / "broken-no-mask.runs.json").read_text())
    assert [e["prediction"]["digest"] for e in log] == [sealed["digest"]]
    assert not (tmp_path / "runs" / "broken-no-mask").exists()  # a learner's run stays in the learner's folder
    r = runner.invoke(app, ["exp", "17-sample", "--tag", "broken-no-mask", "--learner", "ada", "--n", "2"])
    assert r.exit_code == 0 and str(learners / "ada") in r.output

    r = runner.invoke(app, ["exp", "17-train-mini", "--tag", "broken-no-mask", "--steps", "20", "--learner", "bob"])
    assert r.exit_code == 0, r.output
    assert "no sealed prediction" in r.output
    bob = json.loads((learners / "bob" / "runs" / "broken-no-mask" / "manifest.json").read_text())
    assert bob["learner"] == "bob" and bob["prediction"] is None


def test_cli_refuses_bad_names_bad_files_and_unknown_breaks(learners, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**GOOD, "confidence": SURE}))
    unsure = tmp_path / "unsure.json"
    unsure.write_text(json.dumps(GOOD))
    for args, says in [(["predict", "broken-no-mask", "--learner", "../evil", "--answers", str(answers)], ".."),
                       (["exp", "17-train-mini", "--tag", "broken-no-mask", "--learner", "a/b"], "path separator"),
                       (["exp", "17-sample", "--tag", "broken-no-mask", "--learner", ".x"], "starts with a dot"),
                       (["predict", "broken-nothing", "--learner", "ada", "--answers", str(answers)], "unknown break"),
                       (["predict", "broken-no-mask", "--learner", "ada", "--answers", str(tmp_path / "no.json")],
                        "cannot read answers"),
                       (["predict", "broken-no-mask", "--learner", "ada", "--answers", str(unsure)],
                        'no "confidence"')]:
        r = runner.invoke(app, args)
        assert r.exit_code == 2 and says in r.output and "Traceback" not in r.output, (args, r.output)
    assert not (tmp_path / "evil").exists() and not learners.exists()


def test_cli_predict_asks_each_question_and_re_asks_bad_input(learners):
    r = runner.invoke(app, ["predict", "no-mask", "--learner", "ada"],
                      input="1\nhigh\n7\n2\nsure\nlow\nlots\n25\nMedium\nit copies\nhigh\n")
    assert r.exit_code == 0, r.output
    assert "not a valid answer" in r.output
    sealed = P.current("ada", NO_MASK)
    assert sealed["answers"] == {"loss_vs_floor": "far below it (under half)", "future_attention": "no, none",
                                 "ar_exact_match": 25, "explain": "it copies"}
    assert sealed["confidence"] == {"loss_vs_floor": "high", "future_attention": "low", "ar_exact_match": "medium",
                                    "explain": "high"}
