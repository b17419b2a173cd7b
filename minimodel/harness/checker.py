"""`just check`: every break's metadata is complete and its contract holds, with a margin, on every seed;
what is generated from the breaks or written about them (minimodel.harness.drift) matches them.

The contract, per seed: the healthy control is competent (it learned its task); every symptom fires
under the break and none fires with the fix (a "no-effect" break: none fires under the break either);
the break's `checks` stay quiet in both runs; and the control is quiet on every detector the break
declares. Every value must be past its threshold with `detectors.MARGIN`, so that another CPU or
thread count, whose float results differ, cannot flip it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from minimodel import competence
from minimodel.harness.drift import drift_problems
from minimodel.catalogue import Break, find_break, load_catalogue, metadata_problems
from minimodel.detectors import DETECTORS, Finding, clearly, margin_bound
from minimodel.harness.verdict import run_break


@dataclass(frozen=True)
class Reading:
    """One detector's value in one role (the break, the fix, the control) on one seed, and what it must do."""
    seed: int
    role: str  # "under the break", "with the fix", "on the healthy control"
    finding: Finding
    must_fire: bool

    @property
    def ok(self) -> bool:
        return clearly(DETECTORS[self.finding.name], self.finding.value, self.finding.threshold, self.must_fire)

    def problem(self) -> str:
        f = self.finding
        if self.role.endswith("(a check)"):
            what = "failed" if f.fired else "is too close to its threshold (margin rule)"
            return f"seed {self.seed}: the check {f.name} {what} {self.role[:-len(' (a check)')]} ({f.summary})"
        if self.must_fire and not f.fired:
            what = "did not fire"
        elif not self.must_fire and f.fired:
            what = "fired"
        else:
            what = "is too close to its threshold (margin rule)"
        return f"seed {self.seed}: {f.name} {what} {self.role} ({f.summary})"


def headline(metrics: dict) -> dict:
    """The numbers a learner compares first, for the summary beside the margin table."""
    return {"AR exact match": metrics["ar"]["exact_match"], "TF exact match": metrics["tf_exact_match"],
            "loss": metrics["tf"]["loss"], "answer loss": metrics["tf"].get("answer"),
            "AR malformed": metrics["ar"]["malformed_share"], "AR free-run loops": metrics["free_run"]["loop_share"]}


def seed_readings(brk: Break, seed: int, summary: dict | None = None,
                  with_competence: bool = True) -> tuple[list[Reading], list[str]]:
    """Every reading the contract makes on one seed, and any problem that is not a reading.

    `summary`, when given, receives the break's and the control's headline numbers; `with_competence=False`
    leaves out the check that the healthy control learned its task with the margin."""
    broken = run_break(brk, seed)
    if summary is not None:
        c = broken.control.metrics
        summary.update(seed=seed, brk=headline(broken.run.metrics), control=headline(c),
                       competence={"steps": c["schedule_steps"], "stopped": c["steps"],
                                   "steps_to_bar": c.get("steps_to_bar"), "score": competence.score(c)})
    fixed = run_break(brk, seed, fix=brk.fix)
    other = []
    if with_competence and not brk.half_trained:
        other += [f"seed {seed}: the healthy control is not competent with the margin: {p} (see `just calibrate`)"
                  for p in competence.problems(broken.control.metrics)]
    fire = brk.expect != "no-effect"
    readings = [Reading(seed, "under the break", f, fire) for f in broken.symptoms]
    readings += [Reading(seed, "with the fix", f, False) for f in fixed.symptoms]
    readings += [Reading(seed, "on the healthy control", f, False) for f in broken.of(brk.detectors, control=True)]
    for label, v in (("under the break", broken), ("with the fix", fixed)):
        readings += [Reading(seed, f"{label} (a check)", f, False) for f in v.checks]
    return readings, other


def contract_problems(brk: Break, seed: int, with_competence: bool = True) -> list[str]:
    """Empty when the break's contract holds for this seed with the margin; else what broke it, with numbers."""
    readings, other = seed_readings(brk, seed, with_competence=with_competence)
    return other + [r.problem() for r in readings if not r.ok]


def _job(job: tuple[str, int]) -> tuple[list[Reading], list[str], dict]:
    tag, seed = job
    summary: dict = {}
    readings, other = seed_readings(find_break(tag), seed, summary)
    return readings, other, summary


def summary_rows(summaries: list[dict]) -> list[str]:
    """min-max over seeds of the headline numbers, the break beside its healthy control."""
    rows = []
    for key in summaries[0]["brk"]:
        def span(role):
            vs = [s[role][key] for s in summaries if s[role][key] is not None]
            return "n/a" if not vs else f"{min(vs):.3g}-{max(vs):.3g}"
        rows.append(f"    {key:<16} break {span('brk'):>13}   healthy control {span('control'):>13}")
    return rows


def margin_table(readings: list[Reading]) -> list[str]:
    """Per detector and role: the worst seed's value beside its threshold and what the margin needs."""
    rows = []
    groups: dict[tuple[str, str], list[Reading]] = {}
    for r in readings:
        groups.setdefault((r.finding.name, r.role), []).append(r)
    for (name, role), rs in groups.items():
        d = DETECTORS[name]
        th = rs[0].finding.threshold
        need_fire = rs[0].must_fire
        values = [r.finding.value for r in rs]
        # the worst seed: the one closest to (or past) the threshold on the wrong side; None is quiet
        def toward_fire(r: Reading) -> float:
            v = r.finding.value
            return -1e18 if v is None else v if d.fires_above else -v

        worst = min(rs, key=toward_fire) if need_fire else max(rs, key=toward_fire)
        side = ">=" if d.fires_above == need_fire else "<="
        bound = margin_bound(d, th, need_fire)
        v = worst.finding.value
        shown = "n/a" if v is None else f"{v:.4g}"
        ok = all(r.ok for r in rs)
        rows.append(f"    {name:<24} {role:<28} worst {shown:>10} (seed {worst.seed})  needs {side} {bound:.4g}"
                    f"  [{'ok' if ok else 'FAILED'}] over {len(values)} seeds")
    return rows


def run_checks(seeds: list[int], only: str | None = None, echo=print, jobs: int = 1,
               table: bool = False, contract: bool = True, command: str = "just check") -> bool:
    """Every break's metadata and (unless `contract` is False) its contract on these seeds, then the drift of
    what is generated from or written about the breaks; True when all of it holds. What the contract measured
    goes into docs/measurements/check/ (`just catalogue` makes the catalogue's pages from it)."""
    from minimodel.harness import measurements
    from minimodel.harness.parallel import map_jobs

    catalogue = load_catalogue()
    if only:
        catalogue = [b for b in catalogue if only in (b.tag, b.id)]
        if not catalogue:
            echo(f"error: unknown break {only!r}")
            return False
    ok = True
    for brk in catalogue:
        t0 = time.perf_counter()
        problems = metadata_problems(brk)
        readings: list[Reading] = []
        summaries: list[dict] = []
        if not problems and contract:
            for rs, other, summary in map_jobs(_job, [(brk.tag, s) for s in seeds], jobs):
                readings += rs
                problems += other
                summaries.append(summary)
            problems += [r.problem() for r in readings if not r.ok]
        ok &= not problems
        if readings:
            measurements.save({brk.tag: measurements.entry(seeds, readings, summaries, problems)}, command)
        status = "ok" if not problems else "FAILED"
        what = f"{time.perf_counter() - t0:.1f} s, seeds {_seed_text(seeds)}" if contract else "metadata, no contract"
        echo(f"{brk.tag:<28} {status:<7} ({what})")
        if table and readings:
            for row in margin_table(readings) + summary_rows(summaries):
                echo(row)
        for p in problems:
            echo(f"    - {p}")
    if contract:  # the catalogue's pages show what was just measured
        measurements.write_catalogue(load_catalogue(), echo=lambda _: None)
    drift = drift_problems(catalogue)
    echo("generated files and the README: " + ("current" if not drift else "OUTDATED"))
    for p in drift:
        echo(f"    - {p}")
    return ok and not drift


def _seed_text(seeds: list[int]) -> str:
    return f"{seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1 \
        else ",".join(map(str, seeds))
