"""The drill's pool: which breaks a blind drill deals, the evidence a diagnosis may cite, each break's family,
and the outcomes that make every diagnosis decidable (solutions/drill_outcomes.json, checked by `just check`)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break, load_catalogue
from minimodel.files import now, read_json

FORMAT = 1
OWN_TASK = ("memorise",)  # recipes with their own task: the sanity exercise and the no-effect breaks train on it
# evidence a diagnosis may cite besides a detector: each dashboard panel, and the detectors that read it
PANELS = {
    "data sample": ("ignored_answer_tokens", "special_targets", "off_answer_targets", "answer_start_ambiguous"),
    "loss curve": ("loss_below_floor", "loss_hides_tokens", "loss_reads_lower", "loss_reads_higher",
                   "true_next_loss_high"),
    "attention": ("future_attention", "far_future_attention", "rows_not_normalised"),
    "TF against AR": ("tf_ar_gap", "generation_disagrees", "headline_inflated", "ar_malformed",
                      "long_answers_unfinished", "ar_never_stops", "right_but_no_stop"),
    "serving": ("serving_prompt_differs", "batched_generation_differs", "cached_generation_differs",
                "serving_lags_control", "serving_fails", "evaluations_disagree"),
}
# a break's family, from the detectors it declares (the first rule that matches); partial credit in grading
FAMILIES = (("serving", {"serving_prompt_differs", "batched_generation_differs", "cached_generation_differs",
                         "evaluations_disagree"}),
            ("future leak", {"leak_test", "future_attention", "far_future_attention", "rows_not_normalised"}),
            ("targets and masks", {"ignored_answer_tokens", "loss_hides_tokens", "special_targets",
                                   "loss_reads_lower", "off_answer_targets", "loss_reads_higher",
                                   "true_next_loss_high", "answer_start_ambiguous"}))
OTHER_FAMILY = "generation and evaluation"


class DrillError(ValueError):
    """A bad deal, id, diagnosis or outcomes file: the message says what to do."""


# ----------------------------------------------------------------------------------------------- the pool

def pool(phases: list[str] | None = None, catalogue: list[Break] | None = None) -> list[Break]:
    """The breaks a drill deals from: every symptom break on the shared tasks (not the sanity exercise nor the
    "predict no effect" breaks, which train on their own task, nor a break stopped half-trained on purpose,
    whose weak healthy control would name it), optionally only some phases."""
    catalogue = load_catalogue() if catalogue is None else catalogue
    breaks = [b for b in catalogue if b.expect == "symptom" and b.recipe not in OWN_TASK and not b.half_trained]
    if phases:
        known = sorted({b.phase for b in breaks})
        unknown = [p for p in phases if p not in known]
        if unknown:
            raise DrillError(f"unknown phase(s) {', '.join(unknown)}; the drill's phases are: {', '.join(known)}")
        breaks = [b for b in breaks if b.phase in phases]
    return breaks


def detectors(breaks: list[Break]) -> list[str]:
    """Every detector some break of the pool declares: the readouts a learner may request."""
    return sorted({d for b in breaks for d in b.detectors})


def family(brk: Break) -> str:
    return next((name for name, names in FAMILIES if names & set(brk.detectors)), OTHER_FAMILY)


def choices(breaks: list[Break]) -> dict[str, Break | str]:
    """What a diagnosis may name: each break's change, under its seam ("causal_mask: attention gets no ..."),
    or a seam alone; mapped to the break, or to the seam's name."""
    out: dict[str, Break | str] = {}
    for b in breaks:
        out[f"{', '.join(b.replaces)}: {b.change}"] = b
    for seam in sorted({s for b in breaks for s in b.replaces}):
        out[seam] = seam
    return out


# ----------------------------------------------------------------------------------------------- outcomes

def recipe_config(brk: Break) -> dict:
    """Everything the break's run depends on besides the code (steps, rate, warm-up, ...): a change makes
    its outcomes stale."""
    from minimodel.harness.verdict import recipe_for

    return dataclasses.asdict(recipe_for(brk))


def outcomes_path(root: Path | None = None) -> Path:
    return (root if root is not None else settings.solutions_root()) / "drill_outcomes.json"


def build_outcomes(breaks: list[Break], seed: int = 0, echo=print, only: str | None = None) -> dict:
    """Each break's run (seed 0, its recipe) read by every detector of the pool: what the drill shows. With
    `only`, that break's run, the others' outcomes kept from the stored file (which must read the same detectors)."""
    from minimodel.harness.verdict import run_break

    names = detectors(breaks)
    out = {"format": FORMAT, "seed": seed, "detectors": names, "generated_at": now(), "breaks": {}}
    if only:
        stored = load_outcomes()
        if stored is None or stored.get("detectors") != names or stored.get("seed") != seed:
            raise DrillError("the stored outcomes read other detectors (or another seed): run every break with: "
                             "just drill outcomes")
        chosen = [b for b in breaks if only in (b.tag, b.id)]
        if not chosen:
            raise DrillError(f"{only!r} is not a break of the drill's pool")
        out["breaks"] = {tag: e for tag, e in stored["breaks"].items() if tag in {b.tag for b in breaks}}
        breaks = chosen
    for b in breaks:
        v = run_break(b, seed)
        found, base = readouts(names, v.run.metrics, v.control.metrics)
        out["breaks"][b.tag] = {"recipe": b.recipe, "config": recipe_config(b),
                                "abnormal": [f.name for f, c in zip(found, base) if abnormal(f, c)],
                                "values": {f.name: f.value for f in found},
                                "control_values": {c.name: c.value for c in base}}
        echo(f"{b.tag}: abnormal {', '.join(out['breaks'][b.tag]['abnormal']) or 'nothing'}")
    return out


def readouts(names: list[str], metrics: dict, control: dict):
    """The detectors on a run and on its healthy control, at their default thresholds (one threshold per
    detector across the drill: a threshold chosen for the hidden break would name it)."""
    from minimodel.detectors import detect

    return detect(names, metrics, control), detect(names, control, control)


def abnormal(run_finding, control_finding) -> bool:
    """A readout is evidence when it fires on the run and stays quiet on the healthy control."""
    return bool(run_finding.fired and not control_finding.fired)


def load_outcomes(root: Path | None = None) -> dict | None:
    path = outcomes_path(root)
    data = read_json(path, DrillError, "just drill outcomes")
    if data is None:
        return None
    if not isinstance(data.get("breaks"), dict):
        raise DrillError(f"{path} holds no outcomes; rebuild it with: just drill outcomes")
    return data


def outcome_problems(breaks: list[Break], outcomes: dict | None) -> list[str]:
    """Why the stored outcomes do not describe this pool (missing, or made for other detectors or runs)."""
    if outcomes is None:
        return [f"{outcomes_path()} is missing; build it with: just drill outcomes"]
    made = {tag: (entry.get("recipe"), entry.get("config")) for tag, entry in outcomes["breaks"].items()}
    stale = [b.tag for b in breaks if made.get(b.tag) != (b.recipe, recipe_config(b))]
    if outcomes.get("detectors") != detectors(pool()) or stale:
        return [f"{outcomes_path()} is stale ({', '.join(stale) or 'the detectors changed'}); "
                "rebuild it with: just drill outcomes"]
    return []


def indistinguishable(fired: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Pairs of breaks abnormal on exactly the same detectors: no evidence could tell them apart."""
    tags = list(fired)
    return [(a, b) for i, a in enumerate(tags) for b in tags[i + 1:] if fired[a] == fired[b]]


def distinguishability_problems(breaks: list[Break], outcomes: dict) -> list[str]:
    """Every two breaks of the pool differ in some detector's outcome (abnormal or not), and each shows its
    own declared symptoms as abnormal."""
    fired = {b.tag: set(outcomes["breaks"][b.tag]["abnormal"]) for b in breaks if b.tag in outcomes["breaks"]}
    p = [f"drill pool: {a} and {b} are abnormal on the same detectors ({', '.join(sorted(fired[a])) or 'none'}); "
         "a diagnosis could not tell them apart: drop one from the pool or add a detector that separates them"
         for a, b in indistinguishable(fired)]
    for b in breaks:
        missing = set(b.detectors) - fired.get(b.tag, set())
        if missing:
            p.append(f"drill pool: {b.tag} does not show its own symptom(s) {', '.join(sorted(missing))} "
                     "in the drill's run")
    return p
