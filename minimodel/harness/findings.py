"""What a run showed, in one place: its findings, each question's observed answer, a prediction's score, the table.

The notebook, the CLI's verdict, the answer keys and the gradebook all read a run through these
functions: one set of findings, one rounding, one scoring rule, one table drawn as text or as HTML.
"""
from __future__ import annotations

from dataclasses import fields

from minimodel.catalogue import Break, Question
from minimodel.detectors import Finding, detect
from minimodel.metrics import Metrics
from minimodel.notebooks.display import Table  # noqa: F401 (the findings table is one; imported from here too)

# the health checks that mean something for any run, healthy or not, whatever its task and mask
# (not ar_collapse: past its stop token a one-example-per-row model was never trained, and a healthy
# one loops there on some seeds)
GENERAL_DETECTORS = ["loss_below_floor", "future_attention", "leak_test", "rows_not_normalised", "tf_ar_gap",
                     "ar_malformed", "ignored_answer_tokens", "special_targets", "init_loss_off", "non_finite"]


def detector_names(brk: Break | None) -> list[str]:
    """The detectors a run is read with: the general health checks, then the break's symptoms and checks."""
    own = brk.detectors + brk.check_detectors if brk else []
    return list(dict.fromkeys(GENERAL_DETECTORS + own))


def run_findings(brk: Break | None, metrics: Metrics, control: Metrics | None) -> list[Finding]:
    """Every finding a run has, with the break's thresholds, compared with its healthy control."""
    return detect(detector_names(brk), metrics, control, brk.thresholds if brk else {})


def by_name(findings: list[Finding]) -> dict[str, Finding]:
    return {f.name: f for f in findings}


def stored_findings(brk: Break, manifest: dict) -> dict[str, Finding]:
    """The findings a manifest recorded; a detector of the break it lacks is computed from its metrics."""
    names = {f.name for f in fields(Finding)}
    found = {d["name"]: Finding(**{k: d.get(k) for k in names})
             for d in manifest["findings"] if isinstance(d, dict) and "name" in d}
    lacking = [n for n in detector_names(brk) if n not in found]
    if lacking:
        control = (manifest.get("control") or {}).get("metrics")
        found |= by_name(detect(lacking, manifest["metrics"], control, brk.thresholds))
    return found


def observe_one(q: Question, metrics: Metrics, findings: dict[str, Finding]) -> str | float:
    """A question's answer as the run shows it: an option, or a number rounded to two decimals."""
    value = q.observe(metrics, findings)
    return round(float(value), 2) if q.kind == "number" else value


def observe(brk: Break, metrics: Metrics, findings: dict[str, Finding]) -> dict[str, str | float]:
    """Every choice and number question's observed answer (text questions have none)."""
    return {q.id: observe_one(q, metrics, findings) for q in brk.questions if q.observe is not None}


def score(q: Question, predicted, observed) -> int | str:
    """1 or 0 for a choice (equal) or a number (within the tolerance); '' for text (the instructor's)."""
    if q.kind == "text" or observed is None:
        return ""
    if predicted is None:
        return 0
    if q.kind == "choice":
        return int(predicted == observed)
    try:
        return int(abs(float(predicted) - float(observed)) <= q.tolerance + 1e-9)
    except (TypeError, ValueError, OverflowError):  # not a number, or one beyond any float
        return 0


ROLES = ("symptom", "check", "health check")


def findings_table(brk: Break | None, run: list[Finding], control: list[Finding] | None = None,
                   label: str = "this run", notable_only: bool = False, summaries: bool = False) -> Table:
    """One row per finding: its role, this run beside the healthy control, the threshold.

    The break's symptoms come first, then its checks, then the general health checks; `notable_only`
    keeps a health check only when it fired here and not on the control; `summaries` adds what was measured."""
    base = by_name(control or [])
    symptoms, checks = (brk.detectors, brk.check_detectors) if brk else ([], [])

    def role(f: Finding) -> str:
        return "symptom" if f.name in symptoms else "check" if f.name in checks else "health check"

    def cell(f: Finding | None) -> str:
        if f is None:
            return ""
        return ("n/a" if f.value is None else f"{f.value:.4g}") + (" FIRED" if f.fired else " quiet")

    rows = []
    for f in sorted(run, key=lambda f: ROLES.index(role(f))):
        c = base.get(f.name)
        if notable_only and role(f) == "health check" and not (f.fired and not (c and c.fired)):
            continue
        rows.append([f.name, role(f), cell(f)] + ([cell(c)] if control is not None else [])
                    + [f"{f.threshold:g}"] + ([f.summary] if summaries else []))
    header = (["detector", "role", label] + (["healthy control"] if control is not None else []) + ["threshold"]
              + (["what was measured"] if summaries else []))
    return Table(header, rows)
