"""`python -m bench.class_bench`: grading a synthetic class of 500 learners x every break, its time and peak memory.

The class is made the way learners make it: one real (short) run per break gives the manifest each
learner's run copies; every learner seals 1-3 revisions, takes hints, runs once; one learner in fifty
leaves a broken file. Then one learner in ten adds a hostile file (nested 100,000 deep, 50,000 revisions,
a thousand revisions of hidden characters, a megabyte of answer, a manifest of nonsense) and the class is
graded again. Grading runs in a fresh process so that its peak memory is its own. Figures, not a test.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LEARNERS = 500


def template_manifests(root: Path) -> dict[str, dict]:
    """One real manifest per break, from a 2-step run (the grading cost does not depend on how long it trained)."""
    from minimodel.catalogue import load_catalogue
    from minimodel.classroom.learner_runs import train_for_learner

    out = {}
    for b in load_catalogue():
        verdict = train_for_learner(b.tag, steps=2, learner="template", echo=lambda *a, **k: None)
        out[b.tag] = verdict.manifest
    return out


def answers_for(brk, rng: random.Random) -> dict:
    return {q.id: (rng.choice(q.options) if q.kind == "choice" else rng.randint(0, 100) if q.kind == "number"
                   else f"=HYPERLINK(\"x\") <b>{rng.random():.3f}</b>") for q in brk.questions}


def make_class(root: Path, manifests: dict[str, dict], seed: int = 0) -> None:
    from minimodel.catalogue import load_catalogue
    from minimodel.classroom.predictions import FORMAT, check_answers, digest

    rng = random.Random(seed)
    for i in range(LEARNERS):
        name = f"learner{i:03d}"
        folder = root / name
        (folder / "runs").mkdir(parents=True)
        for b in load_catalogue():
            versions = []
            for rev in range(1, rng.randint(1, 3) + 1):
                answers = check_answers(b, answers_for(b, rng))
                versions.append({"revision": rev, "answers": answers, "digest": digest(name, b.tag, answers),
                                 "sealed_at": f"2026-11-2{rev}T10:00:00+00:00"})
            (folder / f"{b.tag}.prediction.json").write_text(json.dumps(
                {"format": FORMAT, "learner": name, "break": b.tag, "versions": versions}))
            hints = [{"level": lv, "revealed_at": "2026-11-21T09:00:00+00:00"}
                     for lv in range(1, rng.randint(0, 3) + 1)]
            (folder / f"{b.tag}.hints.json").write_text(json.dumps(hints))
            started = "2026-11-21T12:00:00+00:00"
            stamp = {k: versions[0][k] for k in ("digest", "sealed_at", "revision")}
            (folder / f"{b.tag}.runs.json").write_text(json.dumps([{"started_at": started, "prediction": stamp}]))
            run = folder / "runs" / b.tag
            run.mkdir()
            (run / "manifest.json").write_text(json.dumps({**manifests[b.tag], "learner": name,
                                                           "started_at": started, "prediction": stamp}))
        if i % 50 == 7:  # a truncated prediction file and a manifest of someone else
            (folder / "broken-no-mask.prediction.json").write_text('{"versions": [{"answ')
            (folder / "runs" / "broken-tf-eval" / "manifest.json").write_text('{"learner": "someone"}')


def add_hostile(root: Path) -> int:
    """One learner in ten leaves one hostile file, of five kinds in turn; returns how many were planted."""
    tag = "broken-no-mask"
    nested = "[" * 100_000 + "]" * 100_000
    hidden = {"explain": "\u202e=cmd|' /C calc'!A0\x00\n" + "y" * 1_000_000}
    version = {"answers": {"loss_vs_floor": "near it"}, "sealed_at": "2026-11-21T10:00:00+00:00", "digest": "x"}
    learners = sorted(root.iterdir())[3::10]
    for i, folder in enumerate(learners):
        kind = i % 5
        if kind == 0:
            (folder / f"{tag}.prediction.json").write_text(nested)
        elif kind == 1:
            (folder / "drill").mkdir(exist_ok=True)
            (folder / "drill" / "deal.json").write_text(nested[:50_000] + nested[-50_000:])
        elif kind in (2, 3):
            n = 50_000 if kind == 2 else 1_000
            versions = [{**version, "revision": r, "answers": {"explain": "\u2066\x00=1+1"}} for r in range(1, n + 1)]
            (folder / f"{tag}.prediction.json").write_text(json.dumps(
                {"learner": folder.name, "break": tag, "versions": versions}))
        else:
            (folder / f"{tag}.prediction.json").write_text(json.dumps(
                {"learner": folder.name, "break": tag, "versions": [{**version, "answers": hidden}]}))
            manifest = folder / "runs" / tag / "manifest.json"
            manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "metrics": {"tf": [10**4000]}}))
    return len(learners)


GRADE = """
import resource, sys, time
from pathlib import Path
t0 = time.perf_counter()
from minimodel.classroom.grade import grade
from minimodel.classroom.gradebook import write_outputs
book = grade(Path(sys.argv[1]))
write_outputs(book, Path(sys.argv[1]), Path(sys.argv[2]))
print(f"{time.perf_counter() - t0:.1f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} "
      f"{len(book.rows)} {len(book.problems)}")
"""


def main() -> None:
    import os

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.update(MINIMODEL_LEARNERS=str(tmp / "template"), MINIMODEL_RUNS=str(tmp / "runs"),
                          MINIMODEL_CACHE=str(tmp / "cache"))
        t0 = time.perf_counter()
        manifests = template_manifests(tmp)
        make_class(tmp / "learners", manifests)
        size = sum(p.stat().st_size for p in (tmp / "learners").rglob("*") if p.is_file())
        print(f"synthetic class: {LEARNERS} learners x {len(manifests)} breaks, {size / 2**20:.0f} MB of files "
              f"(made in {time.perf_counter() - t0:.0f} s)")
        for hostile in (False, True):
            what = "as made (20 planted broken files)"
            if hostile:
                what = f"with {add_hostile(tmp / 'learners')} hostile files added (one learner in ten)"
            for attempt in (1, 2, 3):
                r = subprocess.run([sys.executable, "-c", GRADE, str(tmp / "learners"), str(tmp / "out")],
                                   capture_output=True, text=True, check=True)
                seconds, mib, rows, problems = r.stdout.split()
                print(f"grading {what}, run {attempt}: {seconds} s, peak memory {mib} MiB, {rows} rows, "
                      f"{problems} problems")
        print("problems beyond the planted files: 'slowdown' is not observable on the 2-step runs of the sentence "
              "breaks")


if __name__ == "__main__":
    main()
