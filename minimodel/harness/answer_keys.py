"""Answer keys: each question's observed answer on a reference run of the break (seed 0, its recipe)."""
from __future__ import annotations

import json
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break
from minimodel.detectors import Finding
from minimodel.harness.checkpoints import now, versions, write_json


class AnswerKeyError(ValueError):
    """A missing or damaged answer key: the message says which command rebuilds it."""


def key_path(brk: Break, root: Path | None = None) -> Path:
    """solutions/<module short name>/answer_key.json, e.g. solutions/b02_no_mask/answer_key.json."""
    return (root if root is not None else settings.solutions_root()) / brk.slug / "answer_key.json"


def observe(brk: Break, metrics: dict, findings: dict[str, Finding]) -> dict:
    """Each choice and number question's answer as the run shows it (text questions have none)."""
    return {q.id: _rounded(q.observe(metrics, findings)) for q in brk.questions if q.observe is not None}


def _rounded(value):
    return round(value, 2) if isinstance(value, float) else value


def build_answer_key(brk: Break, seed: int = 0, steps: int | None = None) -> dict:
    """Run the break beside its healthy control and observe every question on that run."""
    from minimodel.harness.experiments import run_findings
    from minimodel.harness.verdict import recipe_for, run_break

    recipe = recipe_for(brk, steps)
    v = run_break(brk, seed, recipe=recipe)
    findings = run_findings(brk, v.run.metrics, v.control.metrics)
    by_name = {f["name"]: Finding(**f) for f in findings}
    return {
        "break": brk.tag, "seed": seed, "steps": recipe.steps, "recipe": brk.recipe,
        "generated_at": now(), "versions": versions(),
        "answers": observe(brk, v.run.metrics, by_name),
        "questions": {q.id: {"kind": q.kind, "text": q.text, "options": list(q.options), "tolerance": q.tolerance}
                      for q in brk.questions},
        "findings": findings,
    }


def write_answer_key(brk: Break, seed: int = 0, root: Path | None = None, steps: int | None = None) -> Path:
    path = key_path(brk, root)
    write_json(path, build_answer_key(brk, seed, steps))
    return path


def load_answer_key(brk: Break, root: Path | None = None) -> dict | None:
    """The break's stored key, None when there is none; AnswerKeyError when it is damaged."""
    path = key_path(brk, root)
    if not path.exists():
        return None
    try:
        key = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AnswerKeyError(f"{path} is not readable JSON ({str(e).splitlines()[0][:80]}); "
                             "rebuild it with: just answer-keys") from None
    if not isinstance(key, dict) or key.get("break") != brk.tag or not isinstance(key.get("answers"), dict):
        raise AnswerKeyError(f"{path} is not the answer key of {brk.tag}; rebuild it with: just answer-keys")
    return key
