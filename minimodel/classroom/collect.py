"""Collected work in the layouts classes use: learners/, an nbgrader tree, a folder or a zip of notebooks.

Notebook layouts are turned into a learners/ tree in a temporary folder, from the seals the notebooks
carry, and graded like any other; digests are recomputed by grading, so an edited seal shows up.
A zip is read in memory, never extracted: nothing in it can write anywhere.
"""
from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from minimodel.classroom.learners import LearnerError, check_learner
from minimodel.classroom.notebook_seals import is_explanation, seals_in
from minimodel.classroom.predictions import FORMAT
from minimodel.classroom.records import MAX_NOTEBOOK_BYTES, SUFFIXES, Unreadable, load, shown

MAX_ZIP_MEMBERS = 50_000
MAX_ZIP_TOTAL = 2**30  # a zip bomb stops here: 1 GiB of notebooks read in all
MAX_NOTES = 3  # lines about the seals of one notebook; more are counted, not listed

# what a sealed version keeps on disk, per kind of seal
VERSION_FIELDS = {"prediction": ("revision", "answers", "confidence", "sealed_at", "digest"),
                  "explanation": ("revision", "text", "sealed_at", "digest", "after_run")}


@dataclass
class Collected:
    learners: Path  # a learners/ tree that grading reads
    sources: list[str] = field(default_factory=list)  # per learner x break: where its seals came from
    problems: list[str] = field(default_factory=list)  # files refused or unreadable, one line each


def _is_learners_tree(root: Path) -> bool:
    return any(p.name.endswith(tuple(SUFFIXES.values())) for child in root.iterdir()
               if child.is_dir() and not child.is_symlink() for p in child.iterdir())


def _folder_notebooks(root: Path, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root).as_posix()
        if ".ipynb_checkpoints" in path.parts:
            continue
        try:
            yield rel, load(path, MAX_NOTEBOOK_BYTES)
        except Unreadable as e:
            problems.append(f"{rel}: {e}")


def _zip_notebooks(zip_path: Path, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as e:
        problems.append(f"{zip_path.name}: not a readable zip ({e}); nothing in it graded")
        return
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            problems.append(f"{zip_path.name}: {len(members)} members, over {MAX_ZIP_MEMBERS}; only the first read")
        total = 0
        for info in members[:MAX_ZIP_MEMBERS]:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or name.suffix != ".ipynb" or ".ipynb_checkpoints" in name.parts:
                continue
            data = _zip_member(zf, info, name, problems)
            total += len(data or b"")
            if total > MAX_ZIP_TOTAL:
                problems.append(f"{zip_path.name}: over {MAX_ZIP_TOTAL >> 30} GiB of notebooks; the rest not read")
                return
            if data is not None:
                yield name.as_posix(), data


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: PurePosixPath, problems: list[str]) -> bytes | None:
    """A notebook's bytes from the zip, read in memory; None (reported) for one that is refused or unreadable."""
    if name.is_absolute() or ".." in name.parts:
        problems.append(f"{info.filename}: a path that leaves the zip's folder, refused")
    elif (info.external_attr >> 16) & 0o170000 == 0o120000:
        problems.append(f"{info.filename}: a symbolic link, refused")
    elif info.file_size > MAX_NOTEBOOK_BYTES:
        problems.append(f"{info.filename}: over {MAX_NOTEBOOK_BYTES >> 20} MiB, refused")
    else:
        try:
            with zf.open(info) as f:
                data = f.read(MAX_NOTEBOOK_BYTES + 1)  # the declared size may lie
        except Exception as e:  # damaged, encrypted or oddly compressed: whatever its decompressor raises
            problems.append(f"{info.filename}: cannot be read from the zip ({type(e).__name__}: {str(e)[:80]}); "
                            "refused")
            return None
        if len(data) <= MAX_NOTEBOOK_BYTES:
            return data
        problems.append(f"{info.filename}: over {MAX_NOTEBOOK_BYTES >> 20} MiB, refused")
    return None


def _nbgrader_student(rel: str, root: Path) -> str | None:
    """submitted/<student>/<assignment>/<notebook>.ipynb: the student is the folder name nbgrader gave."""
    parts = ("submitted",) * (root.name == "submitted") + PurePosixPath(rel).parts
    if "submitted" in parts:
        i = parts.index("submitted")
        if len(parts) - i >= 4:
            return parts[i + 1]
    return None


def _from_notebooks(notebooks: Iterator[tuple[str, bytes]], root: Path, out: Path, collected: Collected) -> None:
    from minimodel.catalogue import load_catalogue

    tags = {b.tag for b in load_catalogue()}
    seals: dict[tuple[str, str, str], dict] = {}  # (learner, tag, kind) -> {(revision, digest): record}
    where: dict[tuple[str, str], set[str]] = {}
    for rel, data in notebooks:
        for learner, r in _usable_seals(rel, data, _nbgrader_student(rel, root), tags, collected.problems):
            kind = "explanation" if is_explanation(r) else "prediction"
            seals.setdefault((learner, r["break"], kind), {}).setdefault((r["revision"], r["digest"]), r)
            where.setdefault((learner, r["break"]), set()).add(rel)
    for (learner, tag, kind), versions in sorted(seals.items()):
        ordered = sorted(versions.values(), key=lambda r: (str(r["sealed_at"]), str(r["revision"])))
        folder = out / learner
        folder.mkdir(parents=True, exist_ok=True)
        fields = VERSION_FIELDS[kind]
        data = {"format": FORMAT, "learner": learner, "break": tag,
                "versions": [{k: r[k] for k in fields if k in r} for r in ordered]}
        (folder / f"{tag}{SUFFIXES[kind]}").write_text(json.dumps(data, indent=1))
        if kind == "prediction":
            collected.sources.append(f"{learner} x {tag}: {len(ordered)} seal(s) from the notebook "
                                     + ", ".join(sorted(where[(learner, tag)])))


def _usable_seals(rel: str, data: bytes, student: str | None, tags: set[str],
                  problems: list[str]) -> list[tuple[str, dict]]:
    """(learner, seal) for every seal of one notebook that can be graded; a line for each refused one (a few
    lines at most: a notebook of a thousand bad seals is not a thousand lines)."""
    try:
        notebook_break, found = seals_in(data)
    except ValueError as e:
        problems.append(f"{rel}: not a readable notebook ({e}); skipped")
        return []
    if not found:
        problems.append(f"{rel}: no seal in this notebook (a run cell shows it once it has run and the notebook "
                        "was saved); skipped")
    usable, notes = [], []
    for r in found:
        tag, learner = r["break"], student or r["learner"]
        if tag not in tags:
            notes.append(f"{rel}: a seal for {shown(tag)}, which is no break; seal skipped")
            continue
        if notebook_break in tags and tag != notebook_break:
            notes.append(f"{rel}: a seal for {tag} in the notebook of {notebook_break}; seal skipped")
            continue
        if student is not None and r["learner"] != student:
            notes.append(f"{rel}: a seal by {shown(r['learner'])} in {student}'s folder; graded for {student}, "
                         "its digest will not match")
        try:
            usable.append((check_learner(learner), r))
        except LearnerError as e:
            notes.append(f"{rel}: a seal for learner {shown(learner)} refused ({e})")
    more = len(notes) - MAX_NOTES
    problems += notes[:MAX_NOTES] + ([f"{rel}: {more} more seal(s) refused or flagged"] if more > 0 else [])
    return usable


@contextmanager
def gather(path: Path) -> Iterator[Collected]:
    """The work under `path` as a learners/ tree, whatever layout it came in (a temporary one for notebooks)."""
    path = Path(path)
    if path.is_dir() and (_is_learners_tree(path) or not any(path.rglob("*.ipynb"))):
        yield Collected(path, [f"every seal from the sidecar files under {path}"])
        return
    with tempfile.TemporaryDirectory(prefix="minimodel-collected-") as tmp:
        collected = Collected(Path(tmp) / "learners")
        collected.learners.mkdir()
        if path.is_file() and zipfile.is_zipfile(path):
            _from_notebooks(_zip_notebooks(path, collected.problems), path, collected.learners, collected)
        elif path.is_dir():
            _from_notebooks(_folder_notebooks(path, collected.problems), path, collected.learners, collected)
        else:
            collected.learners = path  # not a folder nor a zip: grading says what to pass instead
        yield collected
