"""A tag's run folder, runs/<tag>/: the loss curve, attention heatmaps, samples, the checkpoint, manifest.json last."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from minimodel.catalogue import Break
from minimodel.files import now, write_json
from minimodel.harness.checkpoints import save_checkpoint, versions
from minimodel.harness.findings import run_findings
from minimodel.harness.runner import RunResult
from minimodel.metrics import Metrics
from minimodel.plots import attention_figure, example_attention, loss_figure, save
from minimodel.recipes import Recipe


@dataclass
class TagRun:
    """What running a tag gave: its break (None for the baseline), recipe, run, and the healthy control."""
    tag: str
    brk: Break | None
    recipe: Recipe
    seed: int
    run: RunResult  # the break's run, or the baseline's
    control: RunResult | None  # the healthy control, for a break


def samples_text(metrics: Metrics) -> str:
    lines = ["prompt          target  generated  exact"]
    for s in metrics["ar"]["samples"]:
        lines.append(f"{s['prompt']:<15} {s['target']:<7} {s['generated']!r:<10} {'yes' if s['exact'] else 'no'}")
    lines.append("")
    lines.append("free-running past the stop token (24 tokens):")
    lines += [f"  {t!r}" for t in metrics["free_run"]["texts"]]
    return "\n".join(lines) + "\n"


def write_run_folder(folder: Path, ran: TagRun, started: str, extra: dict | None = None) -> dict:
    """Write every file of the run into `folder`, the manifest last; `extra` is added to the manifest."""
    tag, brk, run, control = ran.tag, ran.brk, ran.run, ran.control
    folder.mkdir(parents=True, exist_ok=True)
    m = run.metrics
    curves = {tag: run.train_losses} | ({"healthy control": control.train_losses} if control else {})
    save(loss_figure(curves, m["entropy_floor"], m["ln_vocab"], f"{tag}: training loss"), folder / "loss.png")
    with run.installed():
        panel = example_attention(run.model, run.task, ran.recipe.batching)
    save(attention_figure({f"{tag}: attention": panel}), folder / "attention.png")
    if control:
        panel = example_attention(control.model, control.task, ran.recipe.batching)
        save(attention_figure({"healthy control: attention": panel}), folder / "attention-healthy.png")
    (folder / "samples.txt").write_text(samples_text(m))
    breaks = [brk.tag] if brk else []
    save_checkpoint(folder / "model.pt", run.model, {"tag": tag, "breaks": breaks, "recipe": ran.recipe.__dict__,
                                                      "seed": ran.seed})
    manifest = {
        "tag": tag, "breaks": breaks, "status": "finished", "seed": ran.seed,
        "config": {"model": run.model.cfg.__dict__, "recipe": ran.recipe.__dict__,
                   "threads": torch.get_num_threads()},
        "versions": versions(), "started_at": started, "finished_at": now(),
        "seconds": round(run.seconds + (control.seconds if control else 0), 2),
        "metrics": m, "findings": [f.to_dict() for f in run_findings(brk, m, control.metrics if control else None)],
        "control": {"metrics": control.metrics,
                    "findings": [f.to_dict() for f in run_findings(brk, control.metrics, control.metrics)]}
        if control else None,
        "files": sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) + ["manifest.json"],
    }
    manifest |= extra or {}
    write_json(folder / "manifest.json", manifest)
    return manifest
