"""The named experiments behind `just exp NAME --tag TAG`: 17-train-mini and 17-sample."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from minimodel import seams
from minimodel.catalogue import BASELINE, Break, find_break, load_catalogue, valid_tags
from minimodel.detectors import detect
from minimodel.classroom.predictions import PredictionError, check_learner, in_force_stamp, learner_run_folder, log_run
from minimodel.recipes import Recipe, get_recipe
from minimodel.harness.runner import RunResult
from minimodel.settings import runs_root
from minimodel.harness.checkpoints import (CheckpointError, load_checkpoint, now, save_checkpoint,
                            versions, write_json)

BASELINE_RECIPE = "rows-all"  # the recipe the first break runs on, so the two compare directly
# the health checks that mean something for any run, healthy or not, whatever its task and mask
# (not ar_collapse: past its stop token a one-example-per-row model was never trained, and a healthy
# one loops there on some seeds)
GENERAL_DETECTORS = ["loss_below_floor", "future_attention", "leak_test", "rows_not_normalised", "tf_ar_gap",
                     "ar_malformed", "ignored_answer_tokens", "special_targets", "init_loss_off", "non_finite"]


class UsageError(ValueError):
    """Bad input from the command line: the message says what to do instead."""


def break_for_tag(tag: str, catalogue: list[Break]) -> Break | None:
    if tag == BASELINE:
        return None
    try:
        return find_break(tag, catalogue)
    except LookupError:
        raise UsageError(f"unknown tag {tag!r}; valid tags are: {', '.join(valid_tags(catalogue))}") from None


def run_findings(brk: Break | None, metrics: dict, control: dict | None) -> list[dict]:
    """Every general detector, plus the break's own (with its thresholds and its control)."""
    names = list(dict.fromkeys(GENERAL_DETECTORS + (brk.detectors if brk else [])))
    thresholds = brk.thresholds if brk else {}
    return [f.to_dict() for f in detect(names, metrics, control, thresholds)]


def _attention_png(model, task, recipe: Recipe, path: Path, title: str) -> None:
    from minimodel.evaluate import _split, prompt_prefix
    from minimodel.plots import attention_figure, save
    from minimodel.probes import record_attention

    prompt, answer = _split(task, task.val[0], prompt_prefix(task, recipe.batching))
    ids = (prompt + answer)[-model.cfg.block_size:]  # a memorised text fills the whole block after BOS
    with record_attention(model) as weights, torch.no_grad():
        model(torch.tensor([ids]))
    labels = [task.tokenizer.itos[i] for i in ids]
    save(attention_figure(weights, labels, title), path)


def _samples_text(metrics: dict) -> str:
    lines = ["prompt          target  generated  exact"]
    for s in metrics["ar"]["samples"]:
        lines.append(f"{s['prompt']:<15} {s['target']:<7} {s['generated']!r:<10} {'yes' if s['exact'] else 'no'}")
    lines.append("")
    lines.append("free-running past the stop token (24 tokens):")
    lines += [f"  {t!r}" for t in metrics["free_run"]["texts"]]
    return "\n".join(lines) + "\n"


def run_folder(tag: str, learner: str | None = None) -> Path:
    """runs/<tag>/, or learners/<name>/runs/<tag>/ for a learner's run."""
    if learner is None:
        return runs_root() / tag
    try:
        return learner_run_folder(learner, tag)
    except PredictionError as e:
        raise UsageError(str(e)) from None


@dataclass
class Outcome:
    manifest: dict
    run: RunResult  # the tag's run (the break, or the baseline)
    control: RunResult | None  # the healthy control, for a break
    folder: Path


def train_mini(tag: str, steps: int | None = None, seed: int = 0, recipe_name: str | None = None,
               echo=print, folder: Path | None = None, learner: str | None = None) -> Outcome:
    """Train the tag's model (a break and its healthy control, or the baseline) into runs/<tag>/.

    For a learner the run goes to learners/<name>/runs/<tag>/ and records the prediction in force."""
    from minimodel.plots import loss_figure, save
    from minimodel.harness.verdict import healthy_control, recipe_for, run_break

    catalogue = load_catalogue()
    brk = break_for_tag(tag, catalogue)
    stamp, stamp_problem = None, None
    if learner is not None:
        try:
            check_learner(learner)
        except PredictionError as e:
            raise UsageError(str(e)) from None
        folder = folder or learner_run_folder(learner, tag)
        try:
            stamp = in_force_stamp(learner, brk)
        except PredictionError as e:  # a damaged prediction file: run anyway, record that it was unreadable
            stamp_problem = str(e)
            echo(f"warning: {e}")
        if brk and stamp is None and stamp_problem is None:
            echo(f"note: no sealed prediction for {learner}; seal one first with: "
                 f"minimodel predict {tag} --learner {learner}")
    folder = folder or runs_root() / tag
    started = now()
    if recipe_name is not None:
        recipe = get_recipe(recipe_name, steps=steps)
    else:
        recipe = recipe_for(brk, steps) if brk else get_recipe(BASELINE_RECIPE, steps=steps)
    echo(f"{tag}: {brk.title if brk else 'no break, every seam healthy'}")
    echo(f"recipe: {recipe.task}, {recipe.batching} blocks of {recipe.block_size}, model '{recipe.model}', "
         f"{recipe.steps} steps, seed {seed}")
    try:
        if brk:
            v = run_break(brk, seed, progress=True, recipe=recipe)
            run, control = v.run, v.control
        else:
            run, control = healthy_control(recipe, seed, progress=True), None  # no break: the healthy run
    except KeyboardInterrupt:
        write_json(folder / "interrupted.json", {"tag": tag, "started_at": started, "interrupted_at": now(),
                                                 "note": "checkpoint and manifest are from the last finished run"})
        raise
    folder.mkdir(parents=True, exist_ok=True)
    m = run.metrics
    curves = {tag: run.train_losses} | ({"healthy control": control.train_losses} if control else {})
    save(loss_figure(curves, m["entropy_floor"], m["ln_vocab"], f"{tag}: training loss"), folder / "loss.png")
    with run.installed():
        _attention_png(run.model, run.task, recipe, folder / "attention.png", f"{tag}: attention")
    if control:
        _attention_png(control.model, control.task, recipe, folder / "attention-healthy.png",
                       "healthy control: attention")
    (folder / "samples.txt").write_text(_samples_text(m))
    breaks = [brk.tag] if brk else []
    save_checkpoint(folder / "model.pt", run.model, {"tag": tag, "breaks": breaks, "recipe": recipe.__dict__,
                                                      "seed": seed})
    findings = run_findings(brk, m, control.metrics if control else None)
    manifest = {
        "tag": tag, "breaks": breaks, "status": "finished", "seed": seed,
        "config": {"model": run.model.cfg.__dict__, "recipe": recipe.__dict__,
                   "threads": torch.get_num_threads()},
        "versions": versions(), "started_at": started, "finished_at": now(),
        "seconds": round(run.seconds + (control.seconds if control else 0), 2),
        "metrics": m, "findings": findings,
        "control": {"metrics": control.metrics, "findings": run_findings(brk, control.metrics, control.metrics)}
        if control else None,
        "files": sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) + ["manifest.json"],
    }
    if learner is not None:
        manifest["learner"] = learner
        manifest["prediction"] = stamp
        if stamp_problem:
            manifest["prediction_problem"] = stamp_problem
    write_json(folder / "manifest.json", manifest)
    if learner is not None:
        log_run(learner, tag, {"started_at": started, "finished_at": manifest["finished_at"], "seed": seed,
                               "steps": recipe.steps, "folder": str(folder), "prediction": stamp})
    (folder / "interrupted.json").unlink(missing_ok=True)
    return Outcome(manifest, run, control, folder)


def sample(tag: str, n: int = 8, prompt: str | None = None, echo=print, learner: str | None = None) -> list[dict]:
    """Greedy samples from the checkpoint that 17-train-mini wrote for the same tag (and learner).

    With `prompt`, the model continues exactly the text given (nothing is appended to it)."""
    from minimodel.evaluate import ar_eval, continue_text, free_run, prompt_prefix

    catalogue = load_catalogue()
    brk = break_for_tag(tag, catalogue)
    folder = run_folder(tag, learner)
    hint = f"just exp 17-train-mini --tag {tag}" + (f" --learner {learner}" if learner else "")
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
