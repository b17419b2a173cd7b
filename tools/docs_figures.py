"""`just docs-figures`: train one break through the lab's public API and copy its figures into docs/figures/.

The README and the documentation site show what a learner sees after `just exp 17-train-mini --tag
broken-no-mask`: the loss curves against the entropy floor, the attention heatmaps broken beside healthy, and
the verdict printed in the terminal. They are made here, never pasted: run this again after a change to the
model, the recipes or the plots, and commit what it wrote.
"""
from __future__ import annotations

import platform
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from any folder: the lab in this checkout

from minimodel import settings  # noqa: E402  (applies MINIMODEL_ISA before torch is imported)
from minimodel.cli.lab import verdict_lines  # noqa: E402
from minimodel.harness.experiments import train_mini  # noqa: E402
from minimodel.settings import machine  # noqa: E402

TAG, SEED = "broken-no-mask", 0
FIGURES = ROOT / "docs" / "figures"
COMMAND = f"just exp 17-train-mini --tag {TAG}"


def main() -> None:
    import torch

    torch.set_num_threads(settings.threads())
    FIGURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        outcome = train_mini(TAG, seed=SEED, folder=Path(tmp) / TAG)
        for name in ("loss.png", "attention.png", "attention-healthy.png"):
            shutil.copyfile(outcome.folder / name, FIGURES / f"no-mask-{name}")
    (FIGURES / "no-mask-verdict.txt").write_text(f"$ {COMMAND}\n...\n{verdict_lines(outcome)}\n")
    day = datetime.now(timezone.utc).date().isoformat()
    (FIGURES / "made.txt").write_text(
        f"Made by `just docs-figures` on {day}: `{TAG}`, seed {SEED}, {settings.threads()} thread(s) per "
        f"process, {machine()}, instruction set {settings.isa_label()}, torch {torch.__version__}, "
        f"Python {platform.python_version()}.\n")
    print(f"wrote {FIGURES.relative_to(ROOT)}/: no-mask-loss.png, no-mask-attention.png, "
          "no-mask-attention-healthy.png, no-mask-verdict.txt, made.txt")


if __name__ == "__main__":
    main()
