"""Seed lists from the command line (`0-9`, `0,2,5`, `0-4,7`) and work spread over processes."""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from minimodel import settings


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


def init_worker(n_threads: int) -> None:
    """In a worker process: the parent's thread count, no processes of its own, and an end with its parent."""
    settings.use_threads(n_threads)
    settings.no_more_jobs()
    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()


def _end_with(parent: int) -> None:
    """A parent stopped by a signal (`kill`, a time limit) cannot tell its workers to stop; without this they
    would train on, unseen, for minutes, slowing whatever runs next."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def map_jobs(fn: Callable, items: Iterable, jobs: int = 1) -> Iterable:
    """fn over items, in order; in `jobs` processes (each with `settings.threads()` torch threads) when jobs > 1."""
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=init_worker,
                             initargs=(settings.threads(),)) as pool:
        yield from pool.map(fn, items)
