"""Sealed records: the one reader of every file a learner or a notebook brings in, their digests, and file names.

By the time an instructor grades, anything may be in a learner's folder: a file nested 100,000 deep, 50 MB
of revisions, bytes that are not text. So every such file is read here, within the caps below, and
whatever is wrong with it is an `Unreadable` whose message is one short reason: the caller names the file,
says what to do, and skips it; the rest of the class is graded.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from pathlib import Path

MAX_BYTES = 4 * 2**20  # a record file: a prediction, its hints, a run log or manifest, a drill deal (tens of kB)
MAX_NOTEBOOK_BYTES = 32 * 2**20  # a notebook with its figures is a few MB; anything bigger is refused
MAX_DEPTH = 64  # a record nests 5 levels, a saved notebook about 10; Python's own limit (1,000) stays far away
MAX_ENTRIES = 1_000  # the versions of a sealed record, or a log's entries: honest work makes tens
# the sidecar files beside a learner's work, one of each kind per break: learners/<name>/<tag><suffix>
SUFFIXES = {"prediction": ".prediction.json", "explanation": ".explanation.json", "hints": ".hints.json",
            "runs": ".runs.json", "fixes": ".fixes.json"}
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")  # a JSON escape of half a character: is its other half there?


class Unreadable(ValueError):
    """A file that cannot be used; the message is the reason, short, without the file's name."""


def digest(body: dict) -> str:
    """sha256 of the record's canonical JSON (keys sorted, no spaces, ASCII only): how every seal is made."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def load(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A plain file's bytes, at most `max_bytes` of them; a link, a pipe or a bigger file is refused."""
    try:  # opened without following a link, nor waiting on a pipe
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as e:
        raise Unreadable("a symbolic link, refused" if Path(path).is_symlink()
                         else f"cannot be read: {e.strerror or type(e).__name__}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Unreadable("not a plain file, refused")
        with open(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)  # its size is known only once read: it may grow while we look
    except OSError as e:
        raise Unreadable(f"cannot be read: {e.strerror or type(e).__name__}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise Unreadable(f"larger than {max_bytes >> 20} MiB")
    return data


def parse(data: bytes | str):
    """JSON from UTF-8 (a BOM is fine), nested at most MAX_DEPTH deep; Unreadable, whatever is wrong with it."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        value = json.loads(text)
        if _SURROGATE.search(text):  # a lone half of a character is no text: nothing could write it back
            json.dumps(value, ensure_ascii=False).encode()
    except UnicodeError as e:
        raise Unreadable(f"not UTF-8 text ({e.reason} at {e.start:,})") from None
    except RecursionError:  # json stops at Python's recursion limit, well before the C stack
        raise Unreadable(f"nested deeper than {MAX_DEPTH} levels") from None
    except MemoryError:
        raise Unreadable("too large to hold in memory") from None
    except ValueError as e:  # not JSON, or a number of more than Python's 4,300 digits
        raise Unreadable((str(e).splitlines() or [type(e).__name__])[0][:100]) from None
    if _deeper_than(value, MAX_DEPTH):
        raise Unreadable(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _deeper_than(value, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels, looked at one level at a time (no recursion)."""
    level = [value] if isinstance(value, (list, dict)) else []
    for _ in range(limit):
        level = [child for v in level for child in (v.values() if isinstance(v, dict) else v)
                 if isinstance(child, (list, dict))]
        if not level:
            return False
    return True


def read(path: Path, max_bytes: int = MAX_BYTES):
    """A JSON file a learner may have written, within the caps (Unreadable says why not)."""
    return parse(load(path, max_bytes))


def read_or_raise(path: Path, error: type[Exception], to_do: str):
    """The file's JSON; else `error`, one line: the file, why it cannot be read, and `to_do` about it."""
    try:
        return read(path)
    except Unreadable as e:
        raise error(f"{path} is not readable JSON ({e}); {to_do}") from None


def _absent(path: Path) -> bool:
    return not path.exists() and not path.is_symlink()  # a link to nowhere is there, and refused when read


def read_list(path: Path, error: type[Exception]) -> list:
    """A JSON list kept in a learner's folder (empty when there is no file); `error` when it is damaged."""
    if _absent(path):
        return []
    data = read_or_raise(path, error, "move it aside and try again")
    if not isinstance(data, list) or len(data) > MAX_ENTRIES:
        raise error(f"{path} is damaged (not a JSON list of at most {MAX_ENTRIES:,} entries); "
                    "move it aside and try again")
    return data


def read_versions(path: Path, fields: dict[str, type], learner: str, tag: str, error: type[Exception],
                  redo: str) -> list[dict]:
    """The sealed versions in a record's file {learner, break, versions}, oldest first (none when there is no file),
    each holding `fields` of their types; `error` says what is wrong and what to do (`redo`: "seal ... again")."""
    if _absent(path):
        return []
    data = read_or_raise(path, error, f"move it aside and {redo}")
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list) or not versions:
        raise error(f"{path} has no sealed versions; move it aside and {redo}")
    if len(versions) > MAX_ENTRIES:
        raise error(f"{path} holds {len(versions):,} versions, over {MAX_ENTRIES:,}; move it aside and {redo}")
    for i, v in enumerate(versions, 1):
        if not (isinstance(v, dict) and all(isinstance(v.get(k), kind) for k, kind in fields.items())):
            *some, last = fields
            raise error(f"{path}: version {i} lacks {', '.join(some)} or {last}; move it aside and {redo}")
    for key, want in (("learner", learner), ("break", tag)):
        if data.get(key) != want:
            raise error(f"{path} says {key} {shown(data.get(key))}, expected {want!r}")
    return versions


def shown(value) -> str:
    """A learner's value in a message: its repr, a few dozen characters at most."""
    text = repr(value) if isinstance(value, (str, int, float, type(None))) else f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:50] + "... (cut)"
