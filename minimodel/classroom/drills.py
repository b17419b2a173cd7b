"""Blind drills: breaks dealt to a learner under opaque ids, the diagnostics they request, the diagnoses they seal.

A deal is `learners/<name>/drill/deal.json`: per id, a ticket the lab decodes to train the break, and a check,
an HMAC of the learner, the id and the break's tag under the class salt, so the grader (who holds the salt)
verifies the mapping. Nothing written names a break: not the deal, the request log, the diagnoses, the
notebook's outputs, nor the cache (a drill's break run is never cached; its healthy control is, by recipe).
The ticket is encoded, not encrypted: the lab must decode it to train the break, so a learner who reads this
code can decode it too. What it protects against is reading the answer by accident or by browsing files.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import random
import secrets
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break, load_catalogue
from minimodel.classroom import records
from minimodel.classroom.learners import check_learner, learner_folder
from minimodel.classroom.predictions import CONFIDENCE
from minimodel.files import now, write_json
from minimodel.harness.drill_pool import PANELS, DrillError, choices, detectors, pool

FORMAT = 1

# ----------------------------------------------------------------------------------------------- the deal

def class_salt(create: bool = True) -> str | None:
    """MINIMODEL_DRILL_SALT, else a salt kept in the user's config folder (made on first deal, mode 600);
    None when there is neither and `create` is False (grading without the salt)."""
    given = settings.drill_salt()
    if given:
        return given
    path = settings.drill_salt_file()
    if path.exists():
        return path.read_text().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path.read_text().strip()


def _mac(salt: str, *parts: str) -> bytes:
    return hmac.new(salt.encode(), "\0".join(parts).encode(), hashlib.sha256).digest()


def check_of(salt: str, learner: str, drill_id: str, tag: str) -> str:
    return "hmac-sha256:" + _mac(salt, "check", learner, drill_id, tag).hex()


def _keystream(learner: str, drill_id: str, n: int) -> bytes:
    block = hashlib.sha256(f"minimodel drill ticket\0{learner}\0{drill_id}".encode()).digest()
    return (block * (n // len(block) + 1))[:n]


TICKET_BYTES = 48  # every ticket is as long as every other: its length says nothing about the break


def _ticket(learner: str, drill_id: str, brk: Break) -> str:
    raw = brk.slug.encode().ljust(TICKET_BYTES, b"\0")
    return base64.urlsafe_b64encode(bytes(a ^ b for a, b in zip(raw, _keystream(learner, drill_id, len(raw))))).decode()


def _slug_of(learner: str, drill_id: str, ticket: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(ticket.encode())
    except ValueError:  # not base64 at all: edited by hand; names no break
        return ""
    plain = bytes(a ^ b for a, b in zip(raw, _keystream(learner, drill_id, len(raw))))
    return plain.rstrip(b"\0").decode("ascii", "replace")


def drill_folder(learner: str, root: Path | None = None) -> Path:
    return learner_folder(learner, root) / "drill"


REVIEW = "review"  # the pool name of a deal of the learner's own confident mistakes


def deal(learner: str, n: int = 5, phases: list[str] | None = None, root: Path | None = None,
         review: list[Break] | None = None) -> tuple[dict, bool]:
    """Deal `n` breaks of the pool (or every break of `review`) under ids drill-1 .. drill-n, shuffled by the
    learner's name and the class salt. Returns (the deal, whether it is new); dealing again for the same learner
    returns the same deal."""
    check_learner(learner)
    path = drill_folder(learner, root) / "deal.json"
    pool_name = REVIEW if review is not None else ",".join(phases) if phases else "all"
    n = len(review) if review is not None else n
    if path.exists():
        existing = read_deal(learner, root)
        if existing["n"] != n or existing["pool"] != pool_name:
            raise DrillError(f"{learner} was already dealt {existing['n']} break(s) from pool {existing['pool']!r}; "
                             f"that deal stands (move {path.parent} aside to deal anew)")
        return existing, False
    breaks = pool(phases) if review is None else review
    if not 1 <= n <= len(breaks):
        raise DrillError(f"--n must be 1 to {len(breaks)} (the breaks in pool {pool_name!r}), got {n}")
    salt = class_salt()
    order = random.Random(int.from_bytes(_mac(salt, "deal", learner)[:8], "big")).sample(breaks, n)
    ids = [{"id": f"drill-{i}", "ticket": _ticket(learner, f"drill-{i}", b),
            "check": check_of(salt, learner, f"drill-{i}", b.tag)} for i, b in enumerate(order, 1)]
    data = {"format": FORMAT, "learner": learner, "dealt_at": now(), "pool": pool_name, "n": n, "ids": ids}
    write_json(path, data)
    return data, True


def read_deal(learner: str, root: Path | None = None) -> dict:
    path = drill_folder(learner, root) / "deal.json"
    if not path.exists():
        raise DrillError(f"no drill dealt to {learner!r} yet; deal one with: just drill deal --learner {learner}")
    data = records.read_or_raise(path, DrillError, "ask for a new deal")
    ok = (isinstance(data, dict) and data.get("learner") == learner and isinstance(data.get("ids"), list)
          and len(data["ids"]) <= records.MAX_ENTRIES
          and isinstance(data.get("n"), int) and isinstance(data.get("pool"), str)
          and all(isinstance(e, dict) and all(isinstance(e.get(k), str) for k in ("id", "ticket", "check"))
                  for e in data["ids"]))
    if not ok:
        raise DrillError(f"{path} is not {learner}'s deal (damaged or copied); ask for a new deal")
    return data


def ids_of(deal_: dict) -> list[str]:
    return [e["id"] for e in deal_["ids"]]


def break_of(deal_: dict, drill_id: str, catalogue: list[Break] | None = None) -> Break:
    """The break behind an id of this deal (DrillError for an id not dealt, or a ticket that names no break)."""
    entry = next((e for e in deal_["ids"] if e["id"] == drill_id), None)
    if entry is None:
        raise DrillError(f"{drill_id!r} was not dealt to {deal_['learner']}; dealt: {', '.join(ids_of(deal_))}")
    slug = _slug_of(deal_["learner"], drill_id, entry["ticket"])
    found = next((b for b in (load_catalogue() if catalogue is None else catalogue) if b.slug == slug), None)
    if found is None:
        raise DrillError(f"{drill_id} of {deal_['learner']}'s deal is damaged (its ticket names no break); "
                         "ask for a new deal")
    return found


def verified(deal_: dict, drill_id: str, brk: Break, salt: str | None) -> str:
    """'yes' when the deal's check matches the break under the class salt, 'no' when not, '' without the salt."""
    if salt is None:
        return ""
    entry = next(e for e in deal_["ids"] if e["id"] == drill_id)
    expected = check_of(salt, deal_["learner"], drill_id, brk.tag)
    return "yes" if entry["check"].isascii() and hmac.compare_digest(entry["check"], expected) else "no"


# ----------------------------------------------------------------------------------------------- the learner's records

def log_request(learner: str, drill_id: str, finding, root: Path | None = None) -> dict:
    """Append one detector readout the learner asked for, with its time, to drill/requests.json."""
    path = drill_folder(learner, root) / "requests.json"
    entry = {"id": drill_id, "detector": finding.name, "requested_at": now(), "fired": finding.fired,
             "value": finding.value, "threshold": finding.threshold}
    write_json(path, records.read_list(path, DrillError) + [entry])
    return entry


def requests(learner: str, root: Path | None = None) -> list[dict]:
    return records.read_list(drill_folder(learner, root) / "requests.json", DrillError)


def diagnosis_digest(learner: str, record: dict) -> str:
    return records.digest({"learner": learner, **{k: record[k] for k in ("id", "choice", "evidence", "confidence")}})


def check_diagnosis(deal_: dict, drill_id: str, choice: str, evidence: list[str], confidence: str) -> dict:
    """A diagnosis in canonical form, or a DrillError naming what is wrong."""
    if drill_id not in ids_of(deal_):
        raise DrillError(f"{drill_id!r} was not dealt to {deal_['learner']}; dealt: {', '.join(ids_of(deal_))}")
    options = choices(pool())
    if choice not in options:
        seams = ", ".join(o for o, v in options.items() if isinstance(v, str))
        raise DrillError(f"{choice!r} names no seam or break of the drill; choose one from `just drill choices` "
                         f"(drill.choices() in a notebook); a seam alone is fine: {seams}")
    allowed = set(PANELS) | set(detectors(pool()))
    if isinstance(evidence, str) or not all(isinstance(e, str) for e in evidence):
        raise DrillError("evidence must be a list of panels or detectors, e.g. [\"attention\", \"leak_test\"]")
    unknown = [e for e in evidence if e not in allowed]
    if unknown:
        raise DrillError(f"unknown evidence {', '.join(unknown)}; cite panels ({', '.join(PANELS)}) or detectors")
    level = confidence.strip().lower() if isinstance(confidence, str) else None
    if level not in CONFIDENCE:
        raise DrillError(f"confidence {confidence!r} must be one of {', '.join(CONFIDENCE)}")
    return {"id": drill_id, "choice": choice, "evidence": sorted(set(evidence)), "confidence": level}


def seal_diagnosis(learner: str, drill_id: str, choice: str, evidence: list[str], confidence: str,
                   root: Path | None = None) -> dict:
    """Seal a diagnosis for one id (every version kept); sealing after the reveal is allowed and flagged."""
    record = check_diagnosis(read_deal(learner, root), drill_id, choice, evidence, confidence)
    path = drill_folder(learner, root) / "diagnoses.json"
    versions = records.read_list(path, DrillError)
    record.update(sealed_at=now(), digest=diagnosis_digest(learner, record),
                  after_reveal=revealed_at(learner, root) is not None)
    write_json(path, versions + [record])
    return record


def well_formed(d) -> bool:
    """A sealed diagnosis with every field of its kind (a hand-edited one may lack some)."""
    return (isinstance(d, dict) and all(isinstance(d.get(k), str) for k in ("id", "choice", "confidence", "sealed_at"))
            and isinstance(d.get("evidence"), list) and all(isinstance(e, str) for e in d["evidence"]))


def diagnoses(learner: str, root: Path | None = None) -> list[dict]:
    return records.read_list(drill_folder(learner, root) / "diagnoses.json", DrillError)


def revealed_at(learner: str, root: Path | None = None) -> str | None:
    path = drill_folder(learner, root) / "reveal.json"
    if not path.exists():
        return None
    try:
        return str(records.read(path)["revealed_at"])
    except (records.Unreadable, KeyError, TypeError):
        raise DrillError(f"{path} is damaged; move it aside and reveal again") from None


def record_reveal(learner: str, root: Path | None = None) -> str:
    """The first reveal's time (kept when the learner reveals again)."""
    first = revealed_at(learner, root)
    if first is None:
        first = now()
        write_json(drill_folder(learner, root) / "reveal.json", {"revealed_at": first})
    return first
