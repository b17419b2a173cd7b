"""Files written whole or not at all, and the lab's own JSON files read back with a one-line error.

Every layer writes through here (runs, manifests, seals, gradebooks, answer keys, measurements), so a
reader sees the old file or the new one, never half of one. Files a learner brings in are read by
`minimodel.classroom.records`, which caps what a hostile file can do; this reads the lab's own.
"""
from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path


def now() -> str:
    """The time, UTC with its offset, to the second: how every record is stamped."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def atomic_write(path: Path, write) -> None:
    """Write to a temporary file beside `path`, then rename it over: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2, default=str).encode()))


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode()))


def read_json(path: Path, error: type[Exception], rebuild: str):
    """The JSON object in one of the lab's own files, None when there is none; `error` with what to run
    (`rebuild`) when it is damaged or not an object."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, RecursionError, json.JSONDecodeError) as e:
        raise error(f"{path} is not readable JSON ({str(e).splitlines()[0][:80]}); rebuild it with: {rebuild}") \
            from None
    if not isinstance(data, dict):
        raise error(f"{path} holds no JSON object; rebuild it with: {rebuild}")
    return data
