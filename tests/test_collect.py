"""Work handed in as notebooks (nbgrader, a folder, a zip) grades as the learners/ layout does, from their seals."""
import csv
import json
import zipfile

import pytest
from typer.testing import CliRunner

from minimodel.catalogue import find_break
from minimodel.classroom import explanations as E, predictions as P
from minimodel.classroom.notebook_seals import SEAL_MIME, seal_record, seals_in
from minimodel.cli import app
from minimodel.harness.answer_keys import load_answer_key

NO_MASK = find_break("broken-no-mask")


def notebook(*records) -> dict:
    """A saved notebook whose run cell shows these seals, as lab.run displays them."""
    outputs = [{"output_type": "display_data", "metadata": {},
                "data": {SEAL_MIME: r, "text/plain": "seal: ..."}} for r in records]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {"minimodel": {"break": NO_MASK.tag}},
            "cells": [{"cell_type": "code", "id": "run", "metadata": {}, "execution_count": 3,
                       "source": "outcome = lab.run(TAG, LEARNER)", "outputs": outputs}]}


@pytest.fixture()
def sealed(tmp_path, monkeypatch):
    """ada sealed twice (a revision), bob once; the sidecar files, and the notebooks that carry the same seals."""
    learners = tmp_path / "learners"
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(learners))
    monkeypatch.delenv("MINIMODEL_SOLUTIONS", raising=False)
    key = load_answer_key(NO_MASK)["answers"]
    wrong = {**key, "ar_exact_match": key["ar_exact_match"] + 50, "explain": "it looks ahead"}
    P.seal("ada", NO_MASK, wrong)
    P.seal("ada", NO_MASK, {**key, "explain": "every position can read its target"},
           confidence={q.id: "high" for q in NO_MASK.questions})
    E.seal("ada", NO_MASK, "The loss went under the floor: each query reads the token it predicts.")
    P.seal("bob", NO_MASK, {**key, "explain": "no mask"})
    seals = {name: [seal_record(name, NO_MASK.tag, v) for v in P.history(name, NO_MASK) + E.history(name, NO_MASK)]
             for name in ("ada", "bob")}
    return tmp_path, learners, seals


def graded(path, out) -> list[dict]:
    r = CliRunner().invoke(app, ["grade", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    with open(out / "gradebook.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_nbgrader_tree_folder_and_zip_grade_like_the_sidecar_layout(sealed):
    tmp, learners, seals = sealed
    expected = graded(learners, tmp / "out-sidecar")
    assert {r["revisions"] for r in expected if r["learner"] == "ada"} == {"2"}
    ada = {(r["confidence"], r["explanation"][:8]) for r in expected if r["learner"] == "ada"}
    assert ada == {("high", "The loss")}

    course = tmp / "course"
    for name, records in seals.items():  # nbgrader: submitted/<student>/<assignment>/<notebook>
        target = course / "submitted" / name / "ps1" / "b02_no_mask.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(notebook(*records)))
    flat = tmp / "handed-in"  # a plain folder: the learner is the one the seal names
    flat.mkdir()
    for name, records in seals.items():
        (flat / f"{name}-no-mask.ipynb").write_text(json.dumps(notebook(*records)))
    in_metadata = tmp / "metadata-only"  # seals moved into the notebook's metadata by a collection tool
    in_metadata.mkdir()
    for name, records in seals.items():
        nb = notebook()
        nb["metadata"]["minimodel"]["seals"] = records
        (in_metadata / f"{name}.ipynb").write_text(json.dumps(nb))
    with zipfile.ZipFile(tmp / "class.zip", "w") as zf:
        for p in flat.iterdir():
            zf.write(p, f"handed-in/{p.name}")

    for i, path in enumerate((course, course / "submitted", flat, in_metadata, tmp / "class.zip")):
        assert graded(path, tmp / f"out-{i}") == expected, path
    r = CliRunner().invoke(app, ["grade", str(tmp / "class.zip")])
    assert "seals: ada x broken-no-mask: 2 seal(s) from the notebook handed-in/ada-no-mask.ipynb" in r.output
    assert (tmp / "class-graded" / "report.md").exists() and "Where the seals came from" in (
        tmp / "class-graded" / "report.md").read_text()


def test_an_edited_or_borrowed_seal_reads_digest_not_ok(sealed):
    tmp, _, seals = sealed
    edited = json.loads(json.dumps(seals["ada"]))
    edited[1]["answers"]["ar_exact_match"] += 7  # changed by hand in the notebook's JSON
    edited[2]["text"] = "I knew it all along."  # and the explanation too
    course = tmp / "course" / "submitted"
    for student, records in (("ada", edited), ("mallory", seals["bob"])):  # mallory handed in bob's notebook
        target = course / student / "ps1" / "b02_no_mask.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(notebook(*records)))
    rows = graded(course, tmp / "out")
    assert {r["learner"]: r["digest_ok"] for r in rows} == {"ada": "no", "mallory": "no"}
    assert all("the explanation does not match its digest" in r["notes"] for r in rows if r["learner"] == "ada")


def test_a_hostile_zip_writes_nothing_and_the_rest_is_graded(sealed):
    tmp, _, seals = sealed
    room = tmp / "room"
    room.mkdir()
    bomb = room / "hostile.zip"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("../../escape.ipynb", json.dumps(notebook(*seals["bob"])))
        zf.writestr("/tmp/absolute.ipynb", json.dumps(notebook(*seals["bob"])))
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = 0o120777 << 16  # a symbolic link to somewhere else
        zf.writestr(link, "/etc/passwd")
        zf.writestr("broken.ipynb", "{not json")
        zf.writestr("good/ada.ipynb", json.dumps(notebook(*seals["ada"])))
    before = sorted(p.relative_to(tmp) for p in tmp.rglob("*"))
    r = CliRunner().invoke(app, ["grade", str(bomb), "--out", str(room / "out")])
    assert r.exit_code == 0, r.output
    assert "../../escape.ipynb: a path that leaves the zip's folder, refused" in r.output
    assert "/tmp/absolute.ipynb: a path that leaves" in r.output and "link.ipynb: a symbolic link" in r.output
    assert "broken.ipynb: not a readable notebook" in r.output
    after = sorted(p.relative_to(tmp) for p in tmp.rglob("*"))
    out = (room / "out").relative_to(tmp)
    assert set(after) - set(before) == {out, out / "gradebook.csv", out / "report.md"}  # only what grading writes
    assert not (tmp.parent / "escape.ipynb").exists()


def test_seals_in_reads_outputs_and_metadata_and_refuses_non_notebooks(sealed):
    _, _, seals = sealed
    nb = notebook(seals["bob"][0])
    nb["metadata"]["minimodel"]["seals"] = [seals["ada"][0], {"learner": "x"}]  # the incomplete one is ignored
    notebook_break, records = seals_in(json.dumps(nb))
    assert notebook_break == NO_MASK.tag and [r["learner"] for r in records] == ["ada", "bob"]
    with pytest.raises(ValueError):
        seals_in("[1, 2]")


def test_bad_notebooks_get_one_line_each_and_the_rest_is_graded(sealed):
    tmp, _, seals = sealed
    course = tmp / "course" / "submitted"

    def hand_in(student: str, nb) -> None:
        target = course / student / "ps1" / "b02_no_mask.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(nb if isinstance(nb, str) else json.dumps(nb))

    hand_in("ada", notebook(*seals["ada"]))
    hand_in("bob", '{"cells": [')  # not JSON
    hand_in("cara", notebook())  # never ran: no seal
    other = notebook(*seals["bob"])
    other["metadata"]["minimodel"]["break"] = "broken-tf-eval"  # the seal of another break's notebook
    hand_in("dan", other)
    hand_in("erin", notebook(*seals["bob"]))  # bob's seal in erin's folder
    r = CliRunner().invoke(app, ["grade", str(course), "--out", str(tmp / "out")])
    assert r.exit_code == 0, r.output
    warnings = [line for line in r.output.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 4, warnings
    assert "bob/ps1/b02_no_mask.ipynb: not a readable notebook" in r.output
    assert "cara/ps1/b02_no_mask.ipynb: no seal in this notebook" in r.output
    assert "dan/ps1/b02_no_mask.ipynb: a seal for broken-no-mask in the notebook of broken-tf-eval" in r.output
    assert "erin/ps1/b02_no_mask.ipynb: a seal by 'bob' in erin's folder" in r.output
    with open(tmp / "out" / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["learner"]: r["digest_ok"] for r in rows} == {"ada": "yes", "erin": "no"}


def test_a_zip_stops_being_read_past_its_total_budget(sealed, monkeypatch):
    from minimodel.classroom import collect

    tmp, _, seals = sealed
    with zipfile.ZipFile(tmp / "many.zip", "w") as zf:
        for i in range(5):
            zf.writestr(f"n{i}.ipynb", json.dumps(notebook(*seals["ada"])))
    monkeypatch.setattr(collect, "MAX_ZIP_TOTAL", 2 * len(json.dumps(notebook(*seals["ada"]))))
    problems: list[str] = []
    read = list(collect._zip_notebooks(tmp / "many.zip", problems))
    assert len(read) == 2 and problems == ["many.zip: over 0 GiB of notebooks; the rest not read"]
