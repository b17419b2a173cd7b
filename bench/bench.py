"""`just bench` (python -m bench.bench): training throughput at the seed configuration and time to each verdict."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from bench.reference_gpt import ReferenceGPT
from minimodel.data import PackedBatches
from minimodel.model import GPT, preset
from minimodel.probes import record_attention
from minimodel.recipes import get_recipe
from minimodel.tasks import make_task
from minimodel.train import make_optimizer

THREADS = int(os.environ.get("MINIMODEL_THREADS", "2"))  # the throughput comparison: both cores


def ms_per_step(model, batches, recipe, steps: int = 30, warmup: int = 5, watch: bool = False) -> float:
    opt = make_optimizer(model, recipe)
    times = []
    for i in range(warmup + steps):
        b = batches.sample()
        t0 = time.perf_counter()
        if watch:
            with record_attention(model):
                _, loss = model(b.x, b.y)
        else:
            _, loss = model(b.x, b.y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def throughput(echo) -> None:
    recipe = get_recipe("seed-stream")  # 6 layers, 4 heads, 128 wide, block 64, batch 32
    task = make_task(recipe.task)
    batches = PackedBatches(task, task.train, recipe.block_size, recipe.batch_size, recipe.loss_on)
    cfg = preset(recipe.model, vocab_size=task.tokenizer.vocab_size, block_size=recipe.block_size)
    tokens = recipe.block_size * recipe.batch_size
    torch.manual_seed(0)
    rows = [("nanoGPT-style reference (SDPA, is_causal)",
             ms_per_step(ReferenceGPT(cfg.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_head, cfg.n_embd),
                         batches, recipe))]
    torch.manual_seed(0)
    rows.append(("minimodel fast path (SDPA + seam mask)", ms_per_step(GPT(cfg), batches, recipe)))
    torch.manual_seed(0)
    rows.append(("minimodel recording attention (manual)", ms_per_step(GPT(cfg), batches, recipe, watch=True)))
    ref = rows[0][1]
    echo(f"training throughput, seed config (6L/4H/128d, block 64, batch 32), {THREADS} threads")
    echo(f"{'path':<44} {'ms/step':>8} {'tokens/s':>9} {'vs ref':>7}")
    for name, ms in rows:
        echo(f"{name:<44} {ms:8.1f} {tokens / ms * 1000:9.0f} {ref / ms:6.2f}x")


def time_to_verdict(echo, tags: list[str] | None = None) -> None:
    """Cold: a fresh process and an empty cache (the break and its control both train). Warm: a fresh
    process with the healthy control cached (only the break trains). Again: the break's run cached too.
    `tags`: these breaks only (default: every break)."""
    from minimodel.catalogue import load_catalogue
    from minimodel.settings import threads

    echo(f"\ntime to verdict: `minimodel exp 17-train-mini --tag TAG` in a fresh process, "
         f"{threads()} thread(s) per process (MINIMODEL_THREADS)")
    echo(f"{'tag':<30} {'cold s':>7} {'warm s':>7} {'again s':>7}")
    exe = Path(sys.executable).with_name("minimodel")
    for brk in (b for b in load_catalogue() if not tags or b.tag in tags):
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, MINIMODEL_RUNS=f"{tmp}/runs", MINIMODEL_CACHE=f"{tmp}/cache")
            times, failed = [], ""
            for attempt in ("cold", "warm", "again"):
                if attempt == "warm":  # keep the control, forget the break's own run
                    for entry in Path(f"{tmp}/cache").glob("run-*.pt"):
                        entry.unlink()
                t0 = time.perf_counter()
                r = subprocess.run([str(exe), "exp", "17-train-mini", "--tag", brk.tag], env=env,
                                   capture_output=True, text=True)
                times.append(time.perf_counter() - t0)
                failed = failed or ("" if r.returncode == 0 else f"  FAILED: {r.stderr[-200:]}")
        echo(f"{brk.tag:<30} " + " ".join(f"{t:7.1f}" for t in times) + failed)


def main(echo=print) -> None:
    """`just bench`: both halves; `just bench TAG...`: the time to verdict of those breaks only."""
    tags = sys.argv[1:]
    from minimodel.catalogue import load_catalogue

    unknown = sorted(set(tags) - {b.tag for b in load_catalogue()})
    if unknown:
        sys.exit(f"error: no break is tagged {', '.join(unknown)}; `just breaks list` shows the tags")
    torch.set_num_threads(THREADS)
    if not tags:
        throughput(echo)
    time_to_verdict(echo, tags)


if __name__ == "__main__":
    main()
