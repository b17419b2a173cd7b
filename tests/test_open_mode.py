"""Open mode: a learner's notebook shows the planted change first, keeps the healthy code for its last
section, seals a confidence per answer, and seals the explanation after the run as its own record."""
import inspect
import json

import pytest

from minimodel import lab, seams
from minimodel.catalogue import find_break, load_catalogue
from minimodel.classroom import explanations, learners as L, predictions as P
from minimodel.notebooks import generate as notebooks

CATALOGUE = load_catalogue()
NO_MASK = find_break("broken-no-mask")


def _giveaways(brk) -> list[str]:
    """What would hand the learner the fix: every line of each replaced seam's healthy source, docstring
    included, that is not part of a line of its broken twin (as written in the source)."""
    out = []
    for name, broken in brk.replaces.items():
        shared = [line.strip() for line in inspect.getsource(broken).splitlines()]
        for line in inspect.getsource(seams.REGISTRY[name].healthy).splitlines():
            code = line.strip()
            if code and not code.startswith("@") and not any(code in b for b in shared):
                out.append(code)
    return out


def _before_last_section(nb) -> list[str]:
    cells = list(nb.cells)
    last = next(i for i, c in enumerate(cells) if c.id == "reveal-md")
    return [c.source for c in cells[:last]]


@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_the_change_comes_first_and_the_healthy_code_only_at_the_end(brk):
    nb = notebooks.build(brk)
    ids = [c.id for c in nb.cells]
    change = next(c.source for c in nb.cells if c.id == "change-md")
    assert ids.index("change-md") < ids.index("predict") < ids.index("run") < ids.index("explain") < ids.index("fix")
    for broken in brk.replaces.values():
        assert inspect.getsource(broken).rstrip() in change and "# BUG:" in change
    text = "\n".join(_before_last_section(nb))
    leaked = [g for g in _giveaways(brk) if g in text]
    assert leaked == [], f"{brk.tag}: the healthy seam shows before the last section: {leaked}"
    assert brk.title not in text and brk.cause not in text  # the symptom is the learner's to predict
    fix = next(c.source for c in nb.cells if c.id == "fix")
    for name, broken in brk.replaces.items():
        assert f'"""{inspect.getdoc(broken).splitlines()[0]}"""' in fix  # the broken twin's neutral docstring
    solved = "\n".join(c.source for c in notebooks.build(brk, solved=True).cells)
    assert all(g in solved for g in _giveaways(brk))  # the solution does hold the healthy code: the test can fail


@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_the_default_outputs_before_the_run_give_nothing_away(brk, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_HEADLESS", "1")
    shown = []
    monkeypatch.setattr(lab, "show_markdown", shown.append)
    lab.setup(brk.tag)
    lab.predict(brk.tag, "ada")
    text = "\n".join(shown) + capsys.readouterr().out
    assert [g for g in _giveaways(brk) if g in text] == [] and brk.title not in text


def test_headless_prediction_seals_low_confidence_and_keeps_a_sealed_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_HEADLESS", "1")
    lab.predict(NO_MASK.tag, "ada")
    assert set(P.current("ada", NO_MASK)["confidence"].values()) == {"low"}
    answers = {q.id: q.default or "it copies" for q in NO_MASK.questions}
    sure = {q.id: "high" for q in NO_MASK.questions}
    P.seal("bob", NO_MASK, answers, confidence=sure)
    lab.predict(NO_MASK.tag, "bob")  # headless again: bob's own seal stays in force, confidence and all
    assert P.current("bob", NO_MASK)["confidence"] == sure and P.current("bob", NO_MASK)["revision"] == 1
    assert "(high)" in capsys.readouterr().out


def test_an_explanation_is_its_own_record_after_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    first = explanations.seal("ada", NO_MASK, "  I guessed it would learn.  ")
    assert first["text"] == "I guessed it would learn." and first["after_run"] is None
    L.log_run("ada", NO_MASK.tag, {"started_at": "2026-11-22T10:00:00+00:00"})
    second = explanations.seal("ada", NO_MASK, "Every query reads its target: loss under the floor, AR fails.")
    assert second["revision"] == 2 and second["after_run"] == "2026-11-22T10:00:00+00:00"
    assert explanations.seal("ada", NO_MASK, second["text"]) == second  # the same text adds nothing
    for bad, says in [("   ", "empty"), ("x" * (explanations.MAX_CHARS + 1), "keep it under"), (None, "empty")]:
        with pytest.raises(P.PredictionError, match=says) as e:
            explanations.seal("ada", NO_MASK, bad)
        assert "\n" not in str(e.value)
    with pytest.raises(L.LearnerError, match="path separator"):
        explanations.seal("../eve", NO_MASK, "hi")
    data = json.loads((tmp_path / "ada" / "broken-no-mask.explanation.json").read_text())
    assert [v["revision"] for v in data["versions"]] == [1, 2]
    assert explanations.digest("ada", NO_MASK.tag, second["text"]) == second["digest"]
    damaged = tmp_path / "ada" / "broken-no-mask.explanation.json"
    damaged.write_text("{oops")
    with pytest.raises(P.PredictionError, match="move it aside"):
        explanations.seal("ada", NO_MASK, "again")
    assert damaged.read_text() == "{oops"  # never overwritten


def test_headless_explain_seals_a_placeholder_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_HEADLESS", "1")
    lab.explain(NO_MASK.tag, "ada")
    assert "run it first" in capsys.readouterr().out
    lab.explain(NO_MASK.tag, "ada")
    assert [v["text"] for v in explanations.history("ada", NO_MASK)] == [lab.HEADLESS_EXPLANATION]
