"""Seals that travel inside the notebook: shown as a cell output the notebook saves, read back by grading.

A kernel cannot safely edit its own .ipynb (the browser's next save would overwrite the file), but the
front end saves every cell's outputs. So when a run starts (and when a headless notebook seals), the
lab displays the prediction in force as a small output with its own MIME type; whoever collects the
notebook (nbgrader, a zip, a shared folder) collects the seal with it, even without the sidecar files.
"""
from __future__ import annotations

import json

SEAL_MIME = "application/vnd.minimodel.seal+json"
FIELDS = ("learner", "break", "revision", "sealed_at", "digest")  # every record; a prediction adds answers
EXPLANATION = "explanation"  # the `kind` of an explanation's record (a prediction's record has no kind)


def seal_record(learner: str, tag: str, version: dict) -> dict:
    """A prediction's record (answers, and confidence when sealed with one) or an explanation's (text)."""
    record = {"learner": learner, "break": tag, "revision": version.get("revision"),
              "sealed_at": version["sealed_at"], "digest": version["digest"]}
    if "text" in version:
        return {**record, "kind": EXPLANATION, "text": version["text"], "after_run": version.get("after_run")}
    record["answers"] = version["answers"]
    if "confidence" in version:
        record["confidence"] = version["confidence"]
    return record


def is_explanation(record: dict) -> bool:
    return record.get("kind") == EXPLANATION


def show_seal(learner: str, tag: str, version: dict) -> None:
    """Put the seal into the notebook as an output (a plain line for the reader, the record for grading)."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is None:  # a plain Python process: there is no notebook to carry it
        return
    record = seal_record(learner, tag, version)
    what = "explanation" if is_explanation(record) else "seal"
    display({SEAL_MIME: record, "text/plain": f"{what}: {learner} x {tag}, revision {record['revision']}, "
                                               f"sealed at {record['sealed_at']} ({record['digest'][:19]}...)"},
            raw=True)


def break_of(nb: dict) -> str | None:
    """The break a generated notebook belongs to (its metadata says so), or None for any other notebook."""
    meta = nb.get("metadata", {}).get("minimodel", {})
    return meta.get("break") if isinstance(meta, dict) else None


def seals_in(notebook_text: str) -> tuple[str | None, list[dict]]:
    """(the notebook's break, every seal record (predictions and explanations) in its outputs and its metadata)."""
    nb = json.loads(notebook_text)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise ValueError("not a notebook (no list of cells)")
    meta = nb.get("metadata", {}).get("minimodel", {})
    found = list(meta.get("seals", [])) if isinstance(meta, dict) else []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            if isinstance(data, dict) and SEAL_MIME in data:
                found.append(data[SEAL_MIME])
    return break_of(nb), [r for r in found if isinstance(r, dict) and all(k in r for k in FIELDS) and (
        isinstance(r.get("text"), str) if is_explanation(r) else isinstance(r.get("answers"), dict))]
