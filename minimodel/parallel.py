"""Seed lists from the command line (`0-9`, `0,2,5`, `0-4,7`) and work spread over processes."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context


def parse_seeds(text: str) -> list[int]:
    """`0-9` -> [0..9]; `0,2,5`; `0-4,7`. A ValueError that says the accepted forms otherwise."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            first, last = int(lo), int(hi) if sep else int(lo)
            if first < 0 or last < first:
                raise ValueError
            seeds += range(first, last + 1)
    except ValueError:
        raise ValueError(f"--seeds {text!r} is not a seed list; write a range like 0-9, a list like 0,2,5, "
                         "or both: 0-4,7") from None
    return list(dict.fromkeys(seeds))


def threads() -> int:
    """The thread count each process runs torch with (MINIMODEL_THREADS, default 1).

    One, because a verdict trains two models (the break and its healthy control) and on two cores
    they go fastest side by side, one thread each: a tiny model gains little from a second thread."""
    return int(os.environ.get("MINIMODEL_THREADS", "1"))


def default_jobs() -> int:
    """Processes that may train at once (MINIMODEL_JOBS, default: as many as fit on the cores at
    `threads()` each): two torch processes that both use every core slow each other down several times."""
    if os.environ.get("MINIMODEL_JOBS"):
        return max(1, int(os.environ["MINIMODEL_JOBS"]))
    return max(1, (os.cpu_count() or 1) // threads())


def init_worker(n_threads: int) -> None:
    import torch

    torch.set_num_threads(n_threads)
    os.environ["MINIMODEL_JOBS"] = "1"  # a worker is already one of the jobs: it starts no more


def map_jobs(fn: Callable, items: Iterable, jobs: int = 1) -> Iterable:
    """fn over items, in order; in `jobs` processes (each with `threads()` torch threads) when jobs > 1."""
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=init_worker,
                             initargs=(threads(),)) as pool:
        yield from pool.map(fn, items)
