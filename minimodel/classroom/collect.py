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

SIDECARS = (".prediction.json", ".explanation.json", ".hints.json", ".runs.json")  # what a learners/ folder holds
MAX_NOTEBOOK_BYTES = 32 * 2**20  # a notebook with its figures is a few MB; anything bigger is refused
MAX_ZIP_MEMBERS = 50_000
MAX_ZIP_TOTAL = 2**30  # a zip bomb stops here: 1 GiB of notebooks read in all

# what a sealed version keeps on disk, per kind of seal
VERSION_FIELDS = {"prediction": ("revision", "answers", "confidence", "sealed_at", "digest"),
                  "explanation": ("revision", "text", "sealed_at", "digest", "after_run")}


@dataclass
class Collected:
    learners: Path  # a learners/ tree that grading reads
    sources: list[str] = field(default_factory=list)  # per learner x break: where its seals came from
    problems: list[str] = field(default_factory=list)  # files refused or unreadable, one line each


def _is_learners_tree(root: Path) -> bool:
    return any(p.name.endswith(SIDECARS) for child in root.iterdir() if child.is_dir() and not child.is_symlink()
               for p in child.iterdir())


def _folder_notebooks(root: Path, problems: list[str]) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root).as_posix()
        if ".ipynb_checkpoints" in path.parts:
            continue
        if path.is_symlink() or not path.is_file():
            problems.append(f"{rel}: a symbolic link or not a file, refused")
        elif path.stat().st_size > MAX_NOTEBOOK_BYTES:
            problems.append(f"{rel}: over {MAX_NOTEBOOK_BYTES >> 20} MB, refused")
        else:
            yield rel, path.read_text(errors="replace")


def _zip_notebooks(zip_path: Path, problems: list[str]) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(zip_path) as zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            problems.append(f"{zip_path.name}: {len(members)} members, over {MAX_ZIP_MEMBERS}; only the first read")
        total = 0
        for info in members[:MAX_ZIP_MEMBERS]:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if info.is_dir() or name.suffix != ".ipynb" or ".ipynb_checkpoints" in name.parts:
                continue
            if name.is_absolute() or ".." in name.parts:
                problems.append(f"{info.filename}: a path that leaves the zip's folder, refused")
            elif (info.external_attr >> 16) & 0o170000 == 0o120000:
                problems.append(f"{info.filename}: a symbolic link, refused")
            elif info.file_size > MAX_NOTEBOOK_BYTES:
                problems.append(f"{info.filename}: over {MAX_NOTEBOOK_BYTES >> 20} MB, refused")
            else:
                with zf.open(info) as f:
                    data = f.read(MAX_NOTEBOOK_BYTES + 1)  # the declared size may lie
                total += len(data)
                if len(data) > MAX_NOTEBOOK_BYTES:
                    problems.append(f"{info.filename}: over {MAX_NOTEBOOK_BYTES >> 20} MB, refused")
                elif total > MAX_ZIP_TOTAL:
                    problems.append(f"{zip_path.name}: over {MAX_ZIP_TOTAL >> 30} GiB of notebooks; the rest not read")
                    return
                else:
                    yield name.as_posix(), data.decode("utf-8", errors="replace")


def _nbgrader_student(rel: str, root: Path) -> str | None:
    """submitted/<student>/<assignment>/<notebook>.ipynb: the student is the folder name nbgrader gave."""
    parts = ("submitted",) * (root.name == "submitted") + PurePosixPath(rel).parts
    if "submitted" in parts:
        i = parts.index("submitted")
        if len(parts) - i >= 4:
            return parts[i + 1]
    return None


def _from_notebooks(notebooks: Iterator[tuple[str, str]], root: Path, out: Path, collected: Collected) -> None:
    from minimodel.catalogue import load_catalogue

    tags = {b.tag for b in load_catalogue()}
    seals: dict[tuple[str, str], dict] = {}  # (learner, tag) -> {(revision, digest): record}
    where: dict[tuple[str, str], set[str]] = {}
    warn = collected.problems.append
    for rel, text in notebooks:
        try:
            notebook_break, records = seals_in(text)
        except (ValueError, AttributeError, TypeError) as e:
            warn(f"{rel}: not a readable notebook ({str(e).splitlines()[0][:80]}); skipped")
            continue
        if not records:
            warn(f"{rel}: no seal in this notebook (a run cell shows it once it has run and the notebook was saved); "
                 "skipped")
        student = _nbgrader_student(rel, root)
        for r in records:
            tag, learner = str(r["break"]), student or str(r["learner"])
            if tag not in tags:
                warn(f"{rel}: a seal for {tag!r}, which is no break; seal skipped")
                continue
            if notebook_break is not None and tag != notebook_break:
                warn(f"{rel}: a seal for {tag} in the notebook of {notebook_break}; seal skipped")
                continue
            if student is not None and str(r["learner"]) != student:
                warn(f"{rel}: a seal by {str(r['learner'])!r} in {student}'s folder; graded for {student}, "
                     "its digest will not match")
            try:
                check_learner(learner)
            except LearnerError as e:
                warn(f"{rel}: a seal for learner {learner!r} refused ({e})")
                continue
            kind = "explanation" if is_explanation(r) else "prediction"
            seals.setdefault((learner, tag, kind), {}).setdefault((r["revision"], r["digest"]), r)
            where.setdefault((learner, tag), set()).add(rel)
    for (learner, tag, kind), versions in sorted(seals.items()):
        ordered = sorted(versions.values(), key=lambda r: (str(r["sealed_at"]), str(r["revision"])))
        folder = out / learner
        folder.mkdir(parents=True, exist_ok=True)
        fields = VERSION_FIELDS[kind]
        data = {"format": FORMAT, "learner": learner, "break": tag,
                "versions": [{k: r[k] for k in fields if k in r} for r in ordered]}
        (folder / f"{tag}.{kind}.json").write_text(json.dumps(data, indent=1))
        if kind == "prediction":
            collected.sources.append(f"{learner} x {tag}: {len(ordered)} seal(s) from the notebook "
                                     + ", ".join(sorted(where[(learner, tag)])))


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
