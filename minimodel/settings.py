"""Every setting the lab reads from the environment, in one place; each is read when asked, never cached.

| variable | default | what it sets |
|---|---|---|
| MINIMODEL_THREADS | 1 | torch threads per process (a verdict trains two models side by side, one thread each) |
| MINIMODEL_ISA | native | the kernels' instruction set: native, avx2 or default (another CPU's rounding) |
| MINIMODEL_JOBS | cores / threads | how many processes train at once |
| MINIMODEL_RUNS | runs | where `just exp` writes runs/<tag>/ |
| MINIMODEL_LEARNERS | learners | learners' folders: sealed predictions, hints, run logs and runs |
| MINIMODEL_LEARNER | learner | the learner a notebook works for, unless it names one |
| MINIMODEL_SOLUTIONS | the lab's solutions/ (checkout or installed package) | where answer keys are read and written |
| MINIMODEL_CACHE | $XDG_CACHE_HOME/minimodel or ~/.cache/minimodel | the cache of healthy controls and break runs |
| MINIMODEL_HEADLESS | unset | 1, true or yes: notebooks never wait for a click (`just nbval` sets it) |
| MINIMODEL_DRILL_SALT | ~/.config/minimodel/drill-salt (made on first deal) | the class secret behind drill deals |
"""
from __future__ import annotations

import os
import re
from pathlib import Path

THREADS, JOBS, ISA = "MINIMODEL_THREADS", "MINIMODEL_JOBS", "MINIMODEL_ISA"
RUNS, LEARNERS, LEARNER, SOLUTIONS = "MINIMODEL_RUNS", "MINIMODEL_LEARNERS", "MINIMODEL_LEARNER", "MINIMODEL_SOLUTIONS"
CACHE, HEADLESS, DRILL_SALT = "MINIMODEL_CACHE", "MINIMODEL_HEADLESS", "MINIMODEL_DRILL_SALT"


def threads() -> int:
    """Torch threads per process. One, because a verdict trains two models (the break and its healthy
    control) and on two cores they go fastest side by side: a tiny model gains little from a second thread."""
    return int(os.environ.get(THREADS, "1"))


def use_threads(n: int | None = None) -> int:
    """Set torch's thread count in this process: `n`, else `threads()`; every entry point calls this. Returns it."""
    import torch

    n = threads() if n is None else n
    torch.set_num_threads(n)
    return n


def jobs() -> int:
    """Processes that may train at once: as many as fit on the cores at `threads()` each, unless set;
    two torch processes that both use every core slow each other down several times."""
    if os.environ.get(JOBS):
        return max(1, int(os.environ[JOBS]))
    return max(1, (os.cpu_count() or 1) // threads())


# The kernels' instruction set, as three libraries read it. Each changes how a kernel rounds, never what it
# computes: one machine stands in for CPUs that lack its newest instructions (held to match, all three).
ISAS = {
    "native": {},  # whatever this CPU and the libraries pick
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41"},
}
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA")


def isa() -> str:
    """The instruction set MINIMODEL_ISA asks for: native (default), avx2 or default."""
    name = os.environ.get(ISA, "native").strip().lower() or "native"
    if name not in ISAS:
        raise ValueError(f"{ISA}={name!r} is not an instruction set; use one of {', '.join(ISAS)}")
    return name


def apply_isa() -> None:
    """Set the three libraries' variables for MINIMODEL_ISA in this process's environment, before torch is
    imported; every process the lab starts inherits them. Nothing is set for native."""
    import sys

    wanted = ISAS[isa()]
    if not wanted:
        return
    if "torch" in sys.modules and any(os.environ.get(k) != v for k, v in wanted.items()):
        raise RuntimeError(f"{ISA}={isa()} must be set before torch is imported (torch already runs its "
                           f"{sys.modules['torch'].backends.cpu.get_cpu_capability()} kernels); set it in the "
                           "environment that starts Python")
    os.environ.update(wanted)


def isa_label() -> str:
    """The instruction set in force, as the libraries read it: `AVX512`, or `AVX2 (MKL AVX2, oneDNN AVX2)`."""
    import torch

    label = torch.backends.cpu.get_cpu_capability()
    held = [f"{lib} {os.environ[k]}" for lib, k in (("MKL", ISA_VARIABLES[1]), ("oneDNN", ISA_VARIABLES[2]))
            if os.environ.get(k)]
    return label + (f" ({', '.join(held)})" if held else "")


def runs_root() -> Path:
    return Path(os.environ.get(RUNS, "runs"))


def learners_root() -> Path:
    return Path(os.environ.get(LEARNERS, "learners"))


def default_learner() -> str:
    return os.environ.get(LEARNER, "learner")


def shipped(folder: str) -> Path:
    """A folder the lab ships with: `notebooks` (the learners' notebooks) or `solutions` (the answer keys and the
    drill's outcomes). In a checkout, the repository's; installed, the copy inside the package."""
    root = checkout()
    return (root if root is not None else Path(__file__).resolve().parent / "shipped") / folder


def solutions_root() -> Path:
    """Where answer keys are read (and, by `just answer-keys`, written): the lab's own, from any working folder."""
    return Path(os.environ[SOLUTIONS]) if os.environ.get(SOLUTIONS) else shipped("solutions")


def cache_dir() -> Path:
    """The user's cache folder, never the repository."""
    if os.environ.get(CACHE):
        return Path(os.environ[CACHE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "minimodel"


def drill_salt() -> str | None:
    """The class secret that orders and verifies drill deals, when the instructor passes it in the environment."""
    return os.environ.get(DRILL_SALT) or None


def drill_salt_file() -> Path:
    """Where a salt made on this machine is kept (the user's config folder, never the repository)."""
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "minimodel" / "drill-salt"


def headless_forced() -> bool:
    return os.environ.get(HEADLESS, "").lower() in ("1", "true", "yes")


def watched() -> bool:
    """Whether anyone watches progress bars: not when MINIMODEL_HEADLESS is set (nbval runs the notebooks, and
    a bar's every redraw would be a message to a front end that nobody reads)."""
    return not headless_forced()


def checkout() -> Path | None:
    """The repository this package runs from (breaks/ and pyproject.toml beside minimodel/), or None when the
    lab is installed from a wheel (then breaks/, the notebooks and the answer keys are inside the package)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "breaks" / "__init__.py").is_file() and (root / "pyproject.toml").is_file() else None


def use_repository_folders() -> None:
    """In a checkout, runs/ and learners/ at the repository root unless set: a notebook kernel's working folder
    is notebooks/, where the relative defaults would scatter files. Installed, the working folder holds them."""
    root = checkout()
    if root is not None:
        os.environ.setdefault(RUNS, str(root / "runs"))
        os.environ.setdefault(LEARNERS, str(root / "learners"))


def no_more_jobs() -> None:
    """This process is already one of the jobs (a worker): whatever it calls starts no other process."""
    os.environ[JOBS] = "1"


def cpu_name() -> str:
    """The processor's model name, as the kernel reports it: `AMD EPYC`, `Intel(R) Xeon(R) Processor`."""
    import platform

    try:
        return next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def cpu_family() -> str:
    """The processor's maker and line, for a file name: `amd-epyc`, `intel-xeon` (two CPUs of one line can still
    round differently: the measurement files also keep the full name)."""
    words = [w for w in re.sub(r"\((r|tm)\)|[^a-z0-9]+", " ", cpu_name().lower()).split()
             if w not in ("processor", "cpu")]
    return "-".join(words[:2]) or "cpu"


def machine() -> str:
    """The processor and core count this process runs on, for the provenance line of a measurement."""
    return f"{cpu_name()}, {os.cpu_count()} cores"
