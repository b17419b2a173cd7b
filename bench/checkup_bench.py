"""How long a checkup takes on a healthy model (figures, not a test): `python -m bench.checkup_bench`."""
from __future__ import annotations

import os
import time

import torch

from minimodel import checkup
from minimodel.model import GPT, preset

SEQ_LEN, RUNS = 32, 3


def timed(label: str, make_report) -> None:
    """Best and worst of RUNS wall-clock times for one checkup, and what fired."""
    times, report = [], None
    for _ in range(RUNS):
        start = time.perf_counter()
        report = make_report()
        times.append(time.perf_counter() - start)
    fired = ", ".join(f.name for f in report.fired) or "nothing"
    print(f"{label:<52} {min(times):6.2f}-{max(times):5.2f} s   fired: {fired}")


def main() -> None:
    threads = int(os.environ.get("MINIMODEL_THREADS", "2"))
    torch.set_num_threads(threads)
    print(f"checkup.model, seq_len {SEQ_LEN}, batch 2, {threads} thread(s), {RUNS} runs, torch {torch.__version__}")
    torch.manual_seed(0)
    for name in ("small", "seed"):
        model = GPT(preset(name, vocab_size=16, block_size=64))
        cfg = model.cfg
        timed(f"lab GPT '{name}' ({cfg.n_layer}L, {cfg.n_embd} wide, V 16)",
              lambda: checkup.model(model, 16, seq_len=SEQ_LEN))
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        print("(transformers not installed: pip install -c constraints.txt -e '.[hf]' for the GPT-2 rows)")
        return
    for n_layer, n_embd, V in ((2, 32, 64), (6, 384, 50257)):
        gpt2 = GPT2LMHeadModel(GPT2Config(vocab_size=V, n_positions=64, n_embd=n_embd, n_layer=n_layer, n_head=6
                                          if n_embd % 6 == 0 else 2, bos_token_id=0, eos_token_id=0))
        timed(f"HF GPT-2 from a config ({n_layer}L, {n_embd} wide, V {V})",
              lambda: checkup.model(gpt2, V, seq_len=SEQ_LEN))


if __name__ == "__main__":
    main()
