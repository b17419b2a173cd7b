"""The experiments behind `just exp NAME --tag TAG`: 17-train-mini (run the tag, write its folder), 17-sample."""
from __future__ import annotations

from pathlib import Path

from minimodel import seams, settings
from minimodel.catalogue import BASELINE, Break, find_break, load_catalogue, valid_tags
from minimodel.files import now, write_json
from minimodel.harness.checkpoints import CheckpointError, load_checkpoint
from minimodel.harness.run_folder import write_run_folder
from minimodel.harness.verdict import Verdict
from minimodel.recipes import Recipe, get_recipe

BASELINE_RECIPE = "rows-all"  # the recipe the first break runs on, so the two compare directly


class UsageError(ValueError):
    """Bad input from the command line: the message says what to do instead."""


def break_for_tag(tag: str, catalogue: list[Break]) -> Break | None:
    if tag == BASELINE:
        return None
    try:
        return find_break(tag, catalogue)
    except LookupError:
        raise UsageError(f"unknown tag {tag!r}; valid tags are: {', '.join(valid_tags(catalogue))}") from None


def run_tag(brk: Break | None, tag: str, steps: int | None = None, seed: int = 0, recipe_name: str | None = None,
            echo=print) -> Verdict:
    """Train the tag's model: a break beside its healthy control, or the baseline with every seam healthy."""
    from minimodel.harness.verdict import healthy_control, judge, recipe_for, run_break

    if recipe_name is not None:
        recipe = get_recipe(recipe_name, steps=steps)
    else:
        recipe = recipe_for(brk, steps) if brk else get_recipe(BASELINE_RECIPE, steps=steps)
    echo(f"{tag}: {brk.title if brk else 'no break, every seam healthy'}")
    echo(f"recipe: {recipe.task}, {recipe.batching} blocks of {recipe.block_size}, model '{recipe.model}', "
         f"up to {recipe.steps} steps, seed {seed}")
    if brk is None:
        return judge(None, tag, recipe, seed, healthy_control(recipe, seed, progress=settings.watched()), None)
    return run_break(brk, seed, progress=settings.watched(), recipe=recipe)


def train_mini(tag: str, steps: int | None = None, seed: int = 0, recipe_name: str | None = None,
               echo=print, folder: Path | None = None, extra: dict | None = None) -> Verdict:
    """`17-train-mini`: run the tag and write its folder (runs/<tag>/ unless `folder` is given)."""
    return train_into(break_for_tag(tag, load_catalogue()), tag, steps, seed, recipe_name, echo, folder, extra)


def train_into(brk: Break | None, tag: str, steps: int | None = None, seed: int = 0, recipe_name: str | None = None,
               echo=print, folder: Path | None = None, extra: dict | None = None) -> Verdict:
    """Run a tag already resolved to its break, then write its folder (`extra` goes into the manifest); the
    verdict comes back with its folder and manifest.

    Ctrl-C leaves the previous checkpoint and manifest untouched and writes interrupted.json beside them."""
    folder = folder or settings.runs_root() / tag
    started = now()
    try:
        verdict = run_tag(brk, tag, steps, seed, recipe_name, echo)
    except KeyboardInterrupt:
        write_json(folder / "interrupted.json", {"tag": tag, "started_at": started, "interrupted_at": now(),
                                                 "note": "checkpoint and manifest are from the last finished run"})
        raise
    write_run_folder(folder, verdict, started, extra)
    (folder / "interrupted.json").unlink(missing_ok=True)
    return verdict


def sample(tag: str, n: int = 8, prompt: str | None = None, echo=print, folder: Path | None = None,
           retrain_hint: str | None = None) -> list[dict]:
    """Greedy samples from the checkpoint that 17-train-mini wrote for the same tag (in runs/<tag>/ or `folder`).

    With `prompt`, the model continues exactly the text given (nothing is appended to it)."""
    from minimodel.evaluate import ar_eval, continue_text, free_run, prompt_prefix

    brk = break_for_tag(tag, load_catalogue())
    folder = folder or settings.runs_root() / tag
    hint = retrain_hint or f"just exp 17-train-mini --tag {tag}"
    if not (folder / "model.pt").exists():
        raise CheckpointError(f"no checkpoint for tag {tag!r} yet ({folder}/model.pt); create it with: {hint}")
    model, meta = load_checkpoint(folder / "model.pt", hint)
    recipe = Recipe(**meta["recipe"])
    with seams.replaced(brk.replaces if brk else {}, owner=tag):
        task = recipe.make_task(int(meta.get("seed", 0)))
        prefix = prompt_prefix(task, recipe.batching)
        if prompt:
            text = continue_text(model, task, prompt, prefix, model.cfg.block_size)  # stops at the stop token
            echo(f"{tag}: greedy continuation from {folder}/model.pt")
            echo(f"{prompt!r} -> {text!r}")
            return [{"prompt": prompt, "generated": text}]
        examples = task.val[:n]
        ar = ar_eval(model, task, examples, prefix, n_samples=len(examples))
        loose = free_run(model, task, examples, prefix)
    echo(f"{tag}: greedy samples from {folder}/model.pt")
    echo(f"{'prompt':<15} {'target':<7} {'generated':<12} exact")
    for s in ar["samples"]:
        echo(f"{s['prompt']:<15} {s['target']:<7} {s['generated']!r:<12} {'yes' if s['exact'] else 'no'}")
    echo(f"AR exact match on these {len(examples)}: {ar['exact_match']:.0%}")
    echo("free-running past the stop token:")
    for t in loose["texts"]:
        echo(f"  {t!r}")
    echo(f"share of free runs stuck in a loop of 1-3 tokens: {loose['loop_share']:.0%}")
    return ar["samples"]


EXPERIMENTS = {"17-train-mini": train_mini, "17-sample": sample}
