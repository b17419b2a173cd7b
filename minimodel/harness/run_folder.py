"""A tag's run folder, runs/<tag>/: the loss curve, attention heatmaps, samples, the checkpoint, manifest.json last."""
from __future__ import annotations

from pathlib import Path

import torch

from minimodel import settings
from minimodel.files import now, write_json
from minimodel.harness.checkpoints import save_checkpoint, versions
from minimodel.harness.verdict import Verdict
from minimodel.metrics import Metrics
from minimodel.plots import attention_figure, example_attention, loss_figure, save


def samples_text(metrics: Metrics) -> str:
    lines = ["prompt          target  generated  exact"]
    for s in metrics["ar"]["samples"]:
        lines.append(f"{s['prompt']:<15} {s['target']:<7} {s['generated']!r:<10} {'yes' if s['exact'] else 'no'}")
    lines.append("")
    lines.append("free-running past the stop token (24 tokens):")
    lines += [f"  {t!r}" for t in metrics["free_run"]["texts"]]
    return "\n".join(lines) + "\n"


def write_run_folder(folder: Path, v: Verdict, started: str, extra: dict | None = None) -> dict:
    """Write every file of the verdict into `folder`, the manifest last (`extra` added to it); the verdict keeps
    its folder and manifest."""
    tag, run, control = v.tag, v.run, v.control
    folder.mkdir(parents=True, exist_ok=True)
    m = run.metrics
    curves = {tag: run.train_losses} | ({"healthy control": control.train_losses} if control else {})
    save(loss_figure(curves, m["entropy_floor"], m["ln_vocab"], f"{tag}: training loss"), folder / "loss.png")
    with run.installed():
        panel = example_attention(run.model, run.task, v.recipe.batching)
    save(attention_figure({f"{tag}: attention": panel}), folder / "attention.png")
    if control:
        panel = example_attention(control.model, control.task, v.recipe.batching)
        save(attention_figure({"healthy control: attention": panel}), folder / "attention-healthy.png")
    (folder / "samples.txt").write_text(samples_text(m))
    breaks = [v.brk.tag] if v.brk else []
    save_checkpoint(folder / "model.pt", run.model, {"tag": tag, "breaks": breaks, "recipe": v.recipe.__dict__,
                                                      "seed": v.seed})
    manifest = {
        "tag": tag, "breaks": breaks, "status": "finished", "seed": v.seed,
        "config": {"model": run.model.cfg.__dict__, "recipe": v.recipe.__dict__,
                   "threads": torch.get_num_threads(), "isa": settings.isa_label()},
        "versions": versions(), "started_at": started, "finished_at": now(),
        "seconds": round(run.seconds + (control.seconds if control else 0), 2),
        "metrics": m, "findings": [f.to_dict() for f in v.findings],
        "control": {"metrics": control.metrics, "findings": [f.to_dict() for f in v.control_findings]}
        if control else None,
        "files": sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) + ["manifest.json"],
    }
    manifest |= extra or {}
    write_json(folder / "manifest.json", manifest)
    v.folder, v.manifest = folder, manifest
    return manifest
