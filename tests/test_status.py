"""A learner's status and the review of confident mistakes, on folders written the way the lab writes them."""
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import torch
from typer.testing import CliRunner

from minimodel.catalogue import find_break
from minimodel.classroom import drills, explanations as E, learners as L, predictions as P
from minimodel.classroom.grade import grade
from minimodel.classroom.learner_runs import train_for_learner
from minimodel.classroom.status import due_for_review, learner_status, review_deal
from minimodel.cli import app
from minimodel.files import now, write_json
from minimodel.harness.drill_pool import choices, pool
from minimodel.harness.findings import by_name, observe, run_findings

NO_MASK = find_break("broken-no-mask")
SENTENCE = find_break("broken-memorise-sentence")
OLD = "2026-01-01T00:00:00+00:00"  # a run long enough ago for any review
HOSTILE = "<script>alert(1)</script>"


def quiet(*_a, **_k):
    pass


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """ada: one break finished, two half done, two damaged files, the rest untouched (one short real run); rex and
    mo: predictions sealed by the lab, runs made from ada's manifest with each break's own findings."""
    base = tmp_path_factory.mktemp("status")
    root = base / "learners"
    with pytest.MonkeyPatch.context() as mp:
        environment(mp, base)
        sure = {q.id: "high" for q in NO_MASK.questions}
        P.seal("ada", NO_MASK, {q.id: q.default or "it copies its target" for q in NO_MASK.questions}, confidence=sure)
        L.record_hint("ada", NO_MASK, 1)
        L.record_hint("ada", NO_MASK, 2)
        train_for_learner(NO_MASK.tag, steps=20, learner="ada", echo=quiet)
        E.seal("ada", NO_MASK, "every query reads the token it must predict")
        L.record_fix("ada", NO_MASK, False, ["future_attention"])
        L.record_fix("ada", NO_MASK, True, [])
        template = json.loads((root / "ada" / "runs" / NO_MASK.tag / "manifest.json").read_text())

        P.seal("ada", SENTENCE, {q.id: q.default or "it memorises" for q in SENTENCE.questions},
               confidence={q.id: "low" for q in SENTENCE.questions})  # predicted, not run yet
        sealed_and_run("ada", find_break("broken-mask-zero-fill"), template, wrong=False, sure="low", started=OLD)
        (root / "ada" / "broken-targets-not-shifted.hints.json").write_text("[{")  # truncated
        pad = find_break("broken-pad-unmasked")  # a prediction that names another break, in markup
        version = {"answers": {}, "sealed_at": OLD, "digest": "sha256:0"}
        write_json(root / "ada" / f"{pad.tag}.prediction.json",
                   {"learner": "ada", "break": HOSTILE, "versions": [version]})

        recent = now()
        for brk, wrong, confidence, started in (("broken-mask-off-by-one", True, "high", OLD),  # due
                                                ("broken-softmax-wrong-axis", True, "high", recent),  # too recent
                                                ("broken-heads-no-transpose", False, "high", OLD),  # right
                                                ("broken-pad-is-eos", True, "low", OLD)):  # not sure
            sealed_and_run("rex", find_break(brk), template, wrong, confidence, started)
        sealed_and_run("mo", find_break("broken-mask-off-by-one"), template, True, "high", OLD)
    return base, root


def environment(mp, base):
    mp.setenv("MINIMODEL_LEARNERS", str(base / "learners"))
    mp.setenv("MINIMODEL_RUNS", str(base / "runs"))
    mp.setenv("MINIMODEL_DRILL_SALT", "class-secret-1")


@pytest.fixture
def root(folders, monkeypatch):
    environment(monkeypatch, folders[0])
    return folders[1]


def sealed_and_run(learner, brk, template, wrong, sure, started):
    """Seal answers that the run below proves right or wrong, then record that run as the lab does."""
    metrics, control = template["metrics"], template["control"]["metrics"]
    findings = run_findings(brk, metrics, control)
    seen = observe(brk, metrics, by_name(findings))
    answers = {}
    for q in brk.questions:
        if q.kind == "text":
            answers[q.id] = "my reasons"
        elif q.kind == "number":
            answers[q.id] = seen[q.id] + (3 * q.tolerance + 1 if wrong else 0)
        else:
            answers[q.id] = next(o for o in q.options if (o != seen[q.id]) == wrong)
    P.seal(learner, brk, answers, confidence={q.id: sure for q in brk.questions})
    stamp = P.in_force_stamp(learner, brk)
    write_json(L.learner_run_folder(learner, brk.tag) / "manifest.json",
               {**template, "learner": learner, "tag": brk.tag, "started_at": started, "prediction": stamp,
                "findings": [f.to_dict() for f in findings]})
    L.log_run(learner, brk.tag, {"started_at": started, "prediction": stamp})


def rows(status):
    return {r["break"]: r for r in status["breaks"]}


def test_status_shows_finished_half_done_untouched_and_damaged_breaks(root):
    out = CliRunner().invoke(app, ["status", "--learner", "ada", "--json"])
    assert out.exit_code == 0, out.output
    status = json.loads(out.output)
    ada = rows(status)
    assert [r["break"] for r in status["breaks"]][:2] == [SENTENCE.tag, NO_MASK.tag]  # teaching order
    done = ada[NO_MASK.tag]
    assert (done["predicted"], done["run"], done["explained"], done["fix"]) == ("yes", "yes", "yes", "yes")
    assert done["hints"] == f"2 of {len(NO_MASK.hints)}"
    graded = [r for r in grade(root).rows if r["learner"] == "ada" and r["break"] == NO_MASK.tag and r["max_score"]]
    assert done["score"] == f"{sum(r['score'] for r in graded)}/{len(graded)}"  # as the gradebook scores it
    assert done["sure and wrong"] == [r["question"] for r in graded if r["score"] == 0]
    assert (ada[SENTENCE.tag]["predicted"], ada[SENTENCE.tag]["run"], ada[SENTENCE.tag]["score"]) == ("yes", "no", "")
    half = ada["broken-mask-zero-fill"]
    assert (half["predicted"], half["run"], half["explained"], half["fix"]) == ("yes", "yes", "no", "no")
    assert half["score"].split("/")[0] == half["score"].split("/")[1]  # every answer right
    untouched = ada["broken-no-scale"]
    assert (untouched["predicted"], untouched["run"], untouched["explained"], untouched["fix"]) == ("no",) * 4
    assert ada["broken-targets-not-shifted"]["hints"] == "unreadable"
    assert "broken-targets-not-shifted.hints.json" in ada["broken-targets-not-shifted"]["problems"][0]
    assert ada["broken-pad-unmasked"]["predicted"] == "unreadable"
    assert status["next"] == f"just exp 17-train-mini --tag {SENTENCE.tag} --learner ada"
    assert status["drill"] == "none dealt"

    table = CliRunner().invoke(app, ["status", "--learner", "ada"]).output
    line = next(ln for ln in table.splitlines() if ln.startswith(NO_MASK.tag + " "))
    assert line.split()[1:8] == ["yes", "yes", "yes", "yes", "2", "of", "4"]
    assert next(ln for ln in table.splitlines() if ln.startswith("broken-no-scale ")).split()[1:5] == ["no"] * 4
    assert table.rstrip().endswith(f"next: just exp 17-train-mini --tag {SENTENCE.tag} --learner ada")


def test_the_next_step_is_the_first_unfinished_step_and_damage_says_move_it_aside(root, tmp_path):
    assert learner_status("nobody", tmp_path).next == f"just predict {SENTENCE.tag} --learner nobody"
    (tmp_path / "eve").mkdir()
    (tmp_path / "eve" / f"{SENTENCE.tag}.prediction.json").write_bytes(b"\xff\xfe not json")
    step = learner_status("eve", tmp_path).next
    assert step.startswith(f"move the damaged {SENTENCE.tag} file aside") and step.endswith(
        f"just predict {SENTENCE.tag} --learner eve")


def test_hostile_text_in_a_learners_files_is_escaped_in_the_html_table(root):
    html = learner_status("ada")._repr_html_()
    assert HOSTILE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in repr(learner_status("ada"))  # plain text is text: nothing renders it


def test_a_review_deals_exactly_the_confident_mistakes_old_enough(root):
    out = CliRunner().invoke(app, ["drill", "deal", "--learner", "rex", "--review"])
    assert out.exit_code == 0, out.output
    deal = drills.read_deal("rex")
    assert deal["pool"] == "review"
    assert [drills.break_of(deal, i).tag for i in drills.ids_of(deal)] == ["broken-mask-off-by-one"]
    assert "mask" not in out.output  # dealt blind: nothing printed names the break
    due, waiting = due_for_review(learner_status("rex"), timedelta(0))  # --after 0: the recent one too
    assert sorted(b.tag for b in due) == ["broken-mask-off-by-one", "broken-softmax-wrong-axis"] and not waiting
    later = datetime.now(timezone.utc) + timedelta(days=8)
    assert len(due_for_review(learner_status("rex"), timedelta(days=7), now=later)[0]) == 2


def test_nothing_to_review_is_one_line_and_exit_1(root):
    out = CliRunner().invoke(app, ["drill", "deal", "--learner", "ada", "--review", "--after", "1000d"])
    assert out.exit_code == 1 and len(out.output.strip().splitlines()) == 1
    assert "no confident mistake" in out.output and "next is due at" in out.output
    out = CliRunner().invoke(app, ["drill", "deal", "--learner", "nobody", "--review"])
    assert out.exit_code == 1 and len(out.output.strip().splitlines()) == 1
    assert CliRunner().invoke(app, ["drill", "deal", "--learner", "ada", "--review", "--after", "soon"]).exit_code == 2


def test_a_confident_mistake_diagnosed_right_in_the_review_shows_as_met_again(root):
    deal, new = review_deal("mo", "7d")
    assert new and drills.ids_of(deal) == ["drill-1"]
    right = next(c for c, b in choices(pool()).items() if getattr(b, "tag", None) == "broken-mask-off-by-one")
    drills.seal_diagnosis("mo", "drill-1", right, [], "high")
    before = rows(json.loads(learner_status("mo").to_json()))["broken-mask-off-by-one"]
    assert before["drill"] == [] and before["met again"] == []  # before the reveal nothing says which id is which
    drills.record_reveal("mo")
    status = learner_status("mo")
    after = rows(json.loads(status.to_json()))["broken-mask-off-by-one"]
    assert after["drill"] == ["drill-1: right"] and after["met again"] == ["drill-1"] and after["sure and wrong"]
    assert status.drill == "1 of 1 id(s) diagnosed, revealed"


def healthy_mask(T: int, device="cpu"):
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def test_a_verified_fix_is_recorded_for_the_learner_of_the_last_run(root, monkeypatch):
    from minimodel import lab
    from minimodel.harness import verdict

    table = SimpleNamespace(text=lambda: "findings")
    outcomes = iter([["future_attention"], []])  # what each verification still finds firing
    monkeypatch.setattr(verdict, "run_break", lambda *_a, **_k: SimpleNamespace(
        fired=next(outcomes), checks=[], table=lambda **_k: table))  # no training: the verdict is the lab's own
    monkeypatch.setattr(lab, "_last_run", {"learner": "fay"})
    assert not lab.verify_fix(NO_MASK.tag, healthy_mask).fixed
    assert learner_status("fay").rows[1]["fix"] == "not yet (1 try)"
    assert lab.verify_fix(NO_MASK.tag, healthy_mask).fixed
    assert [f["fixed"] for f in L.fixes("fay", NO_MASK)] == [False, True]
    assert learner_status("fay").rows[1]["fix"] == "yes"
