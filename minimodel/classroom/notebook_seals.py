"""Seals that travel inside the notebook: shown as a cell output the notebook saves, read back by grading.

A kernel cannot safely edit its own .ipynb (the browser's next save would overwrite the file), but the
front end saves every cell's outputs. So when a run starts (and when a headless notebook seals), the
lab displays the prediction in force as a small output with its own MIME type; whoever collects the
notebook (nbgrader, a zip, a shared folder) collects the seal with it, even without the sidecar files.
"""
from __future__ import annotations

from minimodel.classroom.records import MAX_ENTRIES, parse

SEAL_MIME = "application/vnd.minimodel.seal+json"
# every record has these, of these types; a prediction adds answers, an explanation text
FIELDS = {"learner": str, "break": str, "revision": (int, type(None)), "sealed_at": str, "digest": str}
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


def _lab_metadata(nb: dict) -> dict:
    """The notebook's metadata.minimodel, or {} when it has none (or something else there)."""
    meta = nb.get("metadata")
    meta = meta.get("minimodel") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def break_of(nb: dict) -> str | None:
    """The break a generated notebook belongs to (its metadata says so), or None for any other notebook."""
    tag = _lab_metadata(nb).get("break")
    return tag if isinstance(tag, str) else None


def seals_in(notebook: str | bytes) -> tuple[str | None, list[dict]]:
    """(the notebook's break, every seal record (predictions and explanations) in its outputs and its metadata).

    The notebook is read within the caps of minimodel.classroom.records; a ValueError says why it cannot be."""
    nb = parse(notebook)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise ValueError("not a notebook (no list of cells)")
    seals = _lab_metadata(nb).get("seals", [])
    found = list(seals) if isinstance(seals, list) else []
    for cell in nb.get("cells", []):
        outputs = cell.get("outputs", []) if isinstance(cell, dict) else []
        for output in outputs if isinstance(outputs, list) else []:
            data = output.get("data", {}) if isinstance(output, dict) else {}
            if isinstance(data, dict) and SEAL_MIME in data:
                found.append(data[SEAL_MIME])
    if len(found) > MAX_ENTRIES:
        raise ValueError(f"{len(found):,} seals, over {MAX_ENTRIES:,}")
    return break_of(nb), [r for r in found if _well_formed(r)]


def _well_formed(record) -> bool:
    """A seal with every field its kind needs, each of its type (one edited by hand may not be)."""
    if not isinstance(record, dict):
        return False
    own = ("text", str) if is_explanation(record) else ("answers", dict)
    return all(k in record and isinstance(record[k], kind) for k, kind in [*FIELDS.items(), own])
