"""The one reader of learner files: every cap holds, each failure is one short reason, seals in files verify."""
import json
import os

import pytest

from minimodel.catalogue import find_break
from minimodel.classroom import drills, explanations as E, predictions as P, records
from minimodel.classroom.learners import LearnerError
from minimodel.classroom.records import MAX_BYTES, MAX_DEPTH, MAX_ENTRIES, Unreadable

NO_MASK = find_break("broken-no-mask")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("data, why", [
    (nested(100_000), "nested deeper than 64 levels"),
    (nested(MAX_DEPTH + 1), "nested deeper than 64 levels"),
    ('{"cells": ' + nested(50_000) + "}", "nested deeper than 64 levels"),
    (b"\xff\xfe{}", "not UTF-8 text"),
    ('["\\ud800"]', "not UTF-8 text"),  # half a character, escaped
    ("1" * 5000, "Exceeds the limit"),  # more digits than Python turns into a number
    ('{"versions": [{"answ', "Unterminated string"),
    ("", "Expecting value"),
])
def test_parse_refuses_with_one_short_reason(data, why):
    with pytest.raises(Unreadable, match=why) as e:
        records.parse(data)
    assert "\n" not in str(e.value) and len(str(e.value)) <= 120


def test_parse_takes_utf8_with_or_without_a_bom_and_any_depth_up_to_the_cap():
    assert records.parse("\ufeff{\"a\": \"é\"}".encode()) == {"a": "é"}
    assert records.parse('["\\ud83d\\ude00"]') == ["\U0001F600"]  # both halves: a character
    assert records.parse(nested(MAX_DEPTH)) is not None


def test_read_refuses_links_pipes_and_big_files_without_reading_them(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('{"ok": 1}')
    (tmp_path / "link.json").symlink_to(good)
    os.mkfifo(tmp_path / "pipe.json")  # reading it would wait for a writer forever
    (tmp_path / "big.json").write_bytes(b" " * (MAX_BYTES + 1))
    (tmp_path / "folder.json").mkdir()
    assert records.read(good) == {"ok": 1}
    for name, why in [("link.json", "symbolic link"), ("pipe.json", "not a plain file"),
                      ("big.json", "larger than 4 MiB"), ("folder.json", "not a plain file"),
                      ("missing.json", "cannot be read")]:
        with pytest.raises(Unreadable, match=why):
            records.read(tmp_path / name)


def test_lists_and_versions_are_capped_and_say_what_to_do(tmp_path):
    path = tmp_path / "log.json"
    path.write_text(json.dumps([{}] * (MAX_ENTRIES + 1)))
    with pytest.raises(LearnerError, match="not a JSON list of at most 1,000 entries.*move it aside"):
        records.read_list(path, LearnerError)
    assert records.read_list(tmp_path / "none.json", LearnerError) == []
    version = {"answers": {}, "sealed_at": "2026-01-01T00:00:00+00:00", "digest": "sha256:0"}
    path = tmp_path / "ada" / f"{NO_MASK.tag}{records.SUFFIXES['prediction']}"
    path.parent.mkdir()
    path.write_text(json.dumps({"learner": "ada", "break": NO_MASK.tag, "versions": [version] * (MAX_ENTRIES + 1)}))
    with pytest.raises(P.PredictionError, match="holds 1,001 versions, over 1,000; move it aside and seal the"):
        P.history("ada", NO_MASK, tmp_path)
    path.write_text(json.dumps({"learner": "x" * 100_000, "break": NO_MASK.tag, "versions": [version]}))
    with pytest.raises(P.PredictionError) as e:
        P.history("ada", NO_MASK, tmp_path)
    assert "says learner 'xxx" in str(e.value) and len(str(e.value)) < len(str(path)) + 150


def test_digests_are_those_already_sealed_in_learners_files():
    """Each constant was computed by the code that sealed learners' files: a digest must never change."""
    answers = {"loss_vs_floor": "far below it", "ar_exact_match": 12.5, "explain": "é ✓ \U0001F600 =1+1 \u202e"}
    sure = {"loss_vs_floor": "high", "ar_exact_match": "low", "explain": "medium"}
    assert P.digest("ada", NO_MASK.tag, answers) == \
        "sha256:c225581c5709e35151298ea5978a8c3b0fa48eb1436257166e4e2047155bbf6a"
    assert P.digest("ada", NO_MASK.tag, answers, sure) == \
        "sha256:c9b2e82c975108b7dd241287c0d9134ede35da40eb641243a548b7a7e6c7ab84"
    assert E.digest("ada", NO_MASK.tag, "the loss went under the floor: ü \U0001F600") == \
        "sha256:e7ce9581dd33a205295845b959108693d3fc947615dca694c8529a5f4f69cbd4"
    diagnosis = {"id": "drill-1", "choice": "causal_mask", "evidence": ["attention", "leak_test"], "confidence": "high"}
    assert drills.diagnosis_digest("ada", diagnosis) == \
        "sha256:fd18bc79c553d8ba7ac3c769c508c4263b2aac9629f5c4079cca80cb1c2b7ef0"


def test_a_file_sealed_before_reads_and_verifies(tmp_path):
    answers = {"loss_vs_floor": "far below it", "ar_exact_match": 12.5, "explain": "é ✓ \U0001F600 =1+1 \u202e"}
    path = tmp_path / "ada" / f"{NO_MASK.tag}{records.SUFFIXES['prediction']}"
    path.parent.mkdir()
    path.write_text(json.dumps({"format": 1, "learner": "ada", "break": NO_MASK.tag, "versions": [
        {"revision": 1, "answers": answers, "sealed_at": "2026-01-01T00:00:00+00:00",
         "digest": "sha256:c225581c5709e35151298ea5978a8c3b0fa48eb1436257166e4e2047155bbf6a"}]}, indent=2))
    (version,) = P.history("ada", NO_MASK, tmp_path)
    assert P.digest("ada", NO_MASK.tag, version["answers"]) == version["digest"]
