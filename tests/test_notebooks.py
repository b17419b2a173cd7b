"""The notebook generator (byte-stable, fixed ids, no outputs, drift detection) and the lab facade's pieces.

Executing every notebook is nbval's job (`just nbval`, part of `just test`); these tests stay fast.
"""
import importlib.util
import json

import nbformat
import pytest

from minimodel import lab, seams
from minimodel.catalogue import sources
from minimodel.classroom import learners, predictions
from minimodel.notebooks import generate as notebooks
from minimodel.catalogue import find_break, load_catalogue
from minimodel.detectors import Finding
from minimodel.notebooks.template import CELLS

CATALOGUE = load_catalogue()
IDS = [cell_id for cell_id, _, _ in CELLS]


def test_committed_notebooks_match_the_catalogue():
    assert notebooks.outdated() == [], notebooks.OUTDATED


def test_regeneration_is_byte_identical(tmp_path):
    notebooks.write_all(tmp_path, CATALOGUE, echo=lambda _: None)
    first = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert notebooks.write_all(tmp_path, CATALOGUE, echo=lambda _: None) == 0
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == first
    assert len(first) == 2 * len(CATALOGUE) + len(notebooks.OWN_CELLS)


@pytest.mark.parametrize("solved", [False, True], ids=["learner", "solution"])
@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_fixed_ids_no_outputs_valid(brk, solved):
    nb = nbformat.reads(notebooks.render(notebooks.build(brk, solved)), as_version=4)
    nbformat.validate(nb)
    assert [c.id for c in nb.cells] == IDS
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    fix = next(c.source for c in nb.cells if c.id == "fix")
    compile(fix, f"{brk.tag} fix cell", "exec")
    assert ("assert report.fixed, report.message" in fix) == solved
    assert (sources.STUB in fix) != solved
    text = json.dumps(nb)
    assert brk.cause not in text and not any(h in text for h in brk.hints)  # nothing gives the cause away


def test_drift_missing_edited_and_stale_files(tmp_path):
    notebooks.write_all(tmp_path, CATALOGUE, echo=lambda _: None)
    slug = CATALOGUE[0].module.rsplit(".", 1)[-1]
    (tmp_path / "notebooks" / f"{slug}.ipynb").write_text("{}")
    (tmp_path / "solutions" / slug / "solution.ipynb").unlink()
    (tmp_path / "notebooks" / "b99_gone.ipynb").write_text("{}")
    (tmp_path / "solutions" / "b99_gone").mkdir()
    (tmp_path / "solutions" / "b99_gone" / "solution.ipynb").write_text("{}")
    problems = notebooks.outdated(tmp_path, CATALOGUE)
    assert f"notebooks/{slug}.ipynb differs from the generated version" in problems
    assert f"solutions/{slug}/solution.ipynb is missing" in problems
    assert "notebooks/b99_gone.ipynb belongs to no break" in problems
    assert "solutions/b99_gone/solution.ipynb belongs to no break" in problems
    assert len(problems) == 4
    notebooks.write_all(tmp_path, CATALOGUE, echo=lambda _: None)
    assert notebooks.outdated(tmp_path, CATALOGUE) == []
    assert not (tmp_path / "solutions" / "b99_gone").exists()


@pytest.mark.parametrize("brk", CATALOGUE, ids=[b.tag for b in CATALOGUE])
def test_the_solution_notebook_writes_the_healthy_code(brk, tmp_path):
    fix = next(c.source for c in notebooks.build(brk, solved=True).cells if c.id == "fix")
    module = _load(tmp_path / "fix.py", fix[:fix.index("report = lab.verify_fix")])
    for name in brk.replaces:
        fn = getattr(module, name)
        seams.check_replacement(name, fn)
        assert fn.__doc__ == seams.REGISTRY[name].healthy.__doc__


def _load(path, source):
    """Import a generated source file as a module (how a learner's notebook cell defines its functions)."""
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unattempted_or_misshapen_fix_reports_not_fixed_without_training(capsys, tmp_path):
    brk = CATALOGUE[0]
    name = next(iter(brk.replaces))
    stub = _load(tmp_path / "stub.py", "\n".join(sources.fix_imports([name])) + "\n\n" + sources.stub_source(name))
    report = lab.verify_fix(brk.tag, getattr(stub, name))
    assert not report.fixed and report.verdict is None
    assert "not fixed yet" in capsys.readouterr().out
    wrong = lab.verify_fix(brk.tag, lambda x: x)
    assert not wrong.fixed and "must take" in wrong.message


def test_hint_cascade_reveals_one_level_at_a_time_and_records_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_HEADLESS", "1")
    brk = CATALOGUE[0]
    cascade = lab.hints(brk.tag, "ada")
    assert cascade.shown == []
    assert cascade.reveal_next() == brk.hints[0]
    assert cascade.reveal_next() == brk.hints[1]
    assert [e["level"] for e in learners.hints("ada", brk)] == [1, 2]
    again = lab.hints(brk.tag, "ada")  # reopening the notebook keeps what was already revealed
    assert again.shown == list(brk.hints[:2])
    while again.reveal_next() is not None:
        pass
    assert again.shown == list(brk.hints)
    assert [e["level"] for e in learners.hints("ada", brk)] == list(range(1, len(brk.hints) + 1))


def test_headless_prediction_seals_the_defaults_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    monkeypatch.setenv("MINIMODEL_HEADLESS", "1")
    brk = CATALOGUE[0]
    lab.predict(brk.tag, "ada")
    assert "default answers" in capsys.readouterr().out
    sealed = predictions.current("ada", brk)
    assert {q.id: sealed["answers"][q.id] for q in brk.questions if q.kind != "text"} == \
        {q.id: q.default for q in brk.questions if q.kind != "text"}


def test_without_widgets_a_cell_prints_the_call_and_the_call_seals(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(tmp_path))
    monkeypatch.delenv("MINIMODEL_HEADLESS", raising=False)
    monkeypatch.setattr(lab, "in_kernel", lambda: True)  # a kernel whose front end has no widgets
    monkeypatch.setattr(lab, "headless", lambda: True)
    brk = find_break("broken-no-mask")
    lab.predict(brk.tag, "ada")
    printed = capsys.readouterr().out
    assert "lab.predict(TAG, LEARNER, answers=" in printed and predictions.current("ada", brk) is None
    answers = {q.id: (q.options[0] if q.options else 7 if q.kind == "number" else "a guess") for q in brk.questions}
    lab.predict(brk.tag, "ada", answers=answers, confidence={q.id: "high" for q in brk.questions})
    assert "Sealed as revision 1" in capsys.readouterr().out
    assert predictions.current("ada", brk)["answers"] == answers


def _finding(name, fired):
    return Finding(name, fired, 0.0, 0.0, "")


def test_heatmap_note_only_when_the_heatmap_looks_causal_but_a_leak_was_caught():
    quiet_map = {"future_attention": _finding("future_attention", False)}
    leak = quiet_map | {"leak_test": _finding("leak_test", True)}
    assert lab.heatmap_note(leak, []).endswith("the leak test did.")
    below = quiet_map | {"loss_below_floor": _finding("loss_below_floor", True)}
    assert "the entropy floor did" in lab.heatmap_note(below, ["loss_below_floor"])
    assert lab.heatmap_note(below, ["special_targets"]) is None  # padding beats the floor: no leak
    assert lab.heatmap_note(quiet_map | {"leak_test": _finding("leak_test", False)}, ["leak_test"]) is None
    assert lab.heatmap_note({"future_attention": _finding("future_attention", True),
                             "leak_test": _finding("leak_test", True)}, ["leak_test"]) is None


def test_a_break_on_two_seams_gets_a_dict_fix_cell():
    from dataclasses import replace

    brk = replace(CATALOGUE[0], replaces={"causal_mask": seams.REGISTRY["causal_mask"].healthy,
                                          "attention_scale": seams.REGISTRY["attention_scale"].healthy})
    object.__setattr__(brk, "module", CATALOGUE[0].module)
    for solved in (False, True):
        fix = next(c.source for c in notebooks.build(brk, solved).cells if c.id == "fix")
        compile(fix, "fix cell", "exec")
        assert 'lab.verify_fix(TAG, {"causal_mask": causal_mask, "attention_scale": attention_scale})' in fix
    one = lab.verify_fix(brk, seams.REGISTRY["causal_mask"].healthy)  # one function for two seams
    assert not one.fixed and "pass a dict" in one.message
