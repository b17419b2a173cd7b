"""Answer keys: each question's observed answer on a reference run of the break (seed 0, its recipe)."""
from __future__ import annotations

from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break
from minimodel.files import now, read_json, write_json
from minimodel.harness.checkpoints import versions
from minimodel.harness.findings import by_name, observe


class AnswerKeyError(ValueError):
    """A missing or damaged answer key: the message says which command rebuilds it."""


def key_path(brk: Break, root: Path | None = None) -> Path:
    """solutions/<module short name>/answer_key.json, e.g. solutions/b02_no_mask/answer_key.json."""
    return (root if root is not None else settings.solutions_root()) / brk.slug / "answer_key.json"


def build_answer_key(brk: Break, seed: int = 0, steps: int | None = None) -> dict:
    """Run the break beside its healthy control and observe every question on that run."""
    from minimodel.harness.verdict import recipe_for, run_break

    recipe = recipe_for(brk, steps)
    v = run_break(brk, seed, recipe=recipe)
    return {
        "break": brk.tag, "seed": seed, "steps": recipe.steps, "recipe": brk.recipe,
        "generated_at": now(), "versions": versions(),
        "answers": observe(brk, v.run.metrics, by_name(v.findings)),
        "questions": questions_of(brk),
        "findings": [f.to_dict() for f in v.findings],
    }


def questions_of(brk: Break) -> dict:
    """The questions as a key records them: a key made for other questions cannot grade these."""
    return {q.id: {"kind": q.kind, "text": q.text, "options": list(q.options), "tolerance": q.tolerance}
            for q in brk.questions}


def write_answer_key(brk: Break, seed: int = 0, root: Path | None = None, steps: int | None = None) -> Path:
    path = key_path(brk, root)
    write_json(path, build_answer_key(brk, seed, steps))
    return path


def load_answer_key(brk: Break, root: Path | None = None) -> dict | None:
    """The break's stored key, None when there is none; AnswerKeyError when it is damaged."""
    path = key_path(brk, root)
    key = read_json(path, AnswerKeyError, "just answer-keys")
    if key is None:
        return None
    if key.get("break") != brk.tag or not isinstance(key.get("answers"), dict):
        raise AnswerKeyError(f"{path} is not the answer key of {brk.tag}; rebuild it with: just answer-keys")
    return key


def key_problems(brk: Break, root: Path | None = None) -> list[str]:
    """Why the stored key cannot grade this break: missing, damaged, or made for other questions or another run."""
    from minimodel.harness.verdict import recipe_for

    rebuild = f"rebuild it with: just answer-keys --only {brk.tag}"
    try:
        key = load_answer_key(brk, root)
    except AnswerKeyError as e:
        return [str(e)]
    path = key_path(brk, root)
    if key is None:
        return [f"{path} is missing; build it with: just answer-keys --only {brk.tag}"]
    stale = [what for what, same in (("questions", key.get("questions") == questions_of(brk)),
                                     ("recipe", key.get("recipe") == brk.recipe),
                                     ("steps", key.get("steps") == recipe_for(brk).steps)) if not same]
    return [f"{path} is stale (its {' and '.join(stale)} differ from the break's); {rebuild}"] if stale else []
