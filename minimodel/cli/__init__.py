"""The `minimodel` command: every door of the lab in one app (the lab, checkup, the classroom, the drill).

Each module registers its commands on `common.app`; nothing here imports torch until a command runs.
"""
from __future__ import annotations

import gc
import sys

from minimodel.cli import checkup, classroom, drill, lab, learner  # noqa: F401  (each registers its commands)
from minimodel.cli.common import app


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        gc.freeze()  # the process ends here: spare its teardown a walk over every object torch made (~0.7 s)
