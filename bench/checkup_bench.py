"""How long a checkup takes on a healthy model (figures, not a test): `python -m bench.checkup_bench`.

Every model check on its own (as `checks=[name]`, the pytest door's items, run it), then all of them in one call,
on GPT-2 of 6 layers, 384 wide, GPT-2's vocabulary, built from a config (nothing downloaded); the learner's
optimiser is Adam at 1e-3, as transformers' overfit test has it. Then all checks on smaller models.
"""
from __future__ import annotations

import time

import torch

from minimodel import checkup, settings
from minimodel.checkup.model_checks import CHECKS
from minimodel.model import GPT, preset

SEQ_LEN, RUNS = 32, 2


def adam(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.Adam(model.parameters(), lr=1e-3)


def timed(label: str, make_report, runs: int = RUNS) -> None:
    """Best and worst of `runs` wall-clock times for one checkup, and what fired."""
    times, report = [], None
    for _ in range(runs):
        start = time.perf_counter()
        report = make_report()
        times.append(time.perf_counter() - start)
    fired = ", ".join(f.name for f in report.fired) or "nothing"
    print(f"{label:<52} {min(times):6.2f}-{max(times):5.2f} s   fired: {fired}")


def gpt2(n_layer: int, n_embd: int, V: int):
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    return GPT2LMHeadModel(GPT2Config(vocab_size=V, n_positions=64, n_embd=n_embd, n_layer=n_layer,
                                      n_head=6 if n_embd % 6 == 0 else 2, bos_token_id=0, eos_token_id=0,
                                      pad_token_id=0)).eval()


def main() -> None:
    threads = settings.use_threads()
    print(f"checkup.model, seq_len {SEQ_LEN}, {threads} thread(s) (MINIMODEL_THREADS), best-worst of {RUNS} runs, "
          f"torch {torch.__version__}")
    try:
        big = gpt2(6, 384, 50257)
    except ImportError:
        print("(transformers not installed: pip install -c constraints.txt -e '.[hf]' for the GPT-2 rows)")
        big = None
    if big is not None:
        adam(big)  # the first optimiser of a process imports torch._dynamo (~1 s): not the checkup's time
        for name in CHECKS:
            timed(f"GPT-2 6L 384 V 50257: {name}", lambda: checkup.model(big, 50257, seq_len=SEQ_LEN, checks=[name],
                                                                        optimizer=adam))
        timed("GPT-2 6L 384 V 50257: every check in one call",
              lambda: checkup.model(big, 50257, seq_len=SEQ_LEN, optimizer=adam))
        timed("GPT-2 2L 32 V 64: every check", lambda: checkup.model(gpt2(2, 32, 64), 64, seq_len=SEQ_LEN,
                                                                       optimizer=adam))
    for name in ("small", "seed"):
        torch.manual_seed(0)
        model = GPT(preset(name, vocab_size=16, block_size=64))
        cfg = model.cfg
        timed(f"lab GPT '{name}' ({cfg.n_layer}L, {cfg.n_embd} wide, V 16): every check",
              lambda: checkup.model(model, 16, seq_len=SEQ_LEN))


if __name__ == "__main__":
    main()
