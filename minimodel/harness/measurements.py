"""What `just check` measured, kept in docs/measurements/check/ (one file per processor, thread count and
instruction set), and the catalogue's tables made from those files: the README's listing and the measurement
page's numbers.

`just calibrate` trains the healthy controls alone (no break), so it can measure a setting where checking
every break would take too long; what it measured goes into docs/measurements/calibrate/, named the same way,
and joins the competence table.

A file holds, per break, each detector's worst reading over the seeds in each role, the headline numbers
of the break and its healthy control on every seed, and the control's competence (when it reached the bar,
where it ended). A new `just check` replaces the entries of the breaks it ran and keeps the others, so a
catalogue page can cover every break under every setting that was checked.
"""
from __future__ import annotations

import re
from pathlib import Path

from minimodel import settings
from minimodel.catalogue import Break
from minimodel.files import now, read_json, write_json, write_text
from minimodel.harness import checkup_matrix

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path("docs") / "measurements" / "check"  # under the repository
CALIBRATIONS = Path("docs") / "measurements" / "calibrate"
PAGE = Path("docs") / "measurements" / "index.md"
CHECKUP_PAGE = Path("docs") / "checkup.md"  # its breaks x checks matrix
FORMAT = 1


class MeasurementsError(ValueError):
    """A results file that cannot be read: the message says what to run."""


def config_name() -> str:
    """This process's processor, thread count and instruction set, as a file name: `amd-epyc-1t-avx512`."""
    isa = settings.isa_label().split(" ")[0].lower()
    return f"{settings.cpu_family()}-{settings.threads()}t-{isa}"


def entry(seeds: list[int], readings: list, summaries: list[dict], problems: list[str]) -> dict:
    """One break's results on these seeds: every reading of the contract, the headlines, the problems."""
    kept = [{"detector": r.finding.name, "role": r.role, "seed": r.seed, "value": r.finding.value,
             "threshold": r.finding.threshold, "must_fire": r.must_fire, "ok": r.ok} for r in readings]
    return {"seeds": seeds, "ok": not problems, "problems": problems[:20], "readings": kept, "summaries": summaries}


def save(entries: dict[str, dict], command: str, root: Path = ROOT) -> Path:
    """Merge these breaks' entries into this setting's results file (atomically)."""
    path = root / RESULTS / f"{config_name()}.json"
    data = load(path) or {"format": FORMAT, "breaks": {}}
    data["breaks"].update(entries)
    data |= {"threads": settings.threads(), "isa": settings.isa_label(), "machine": settings.machine(),
             "measured_at": now(), "command": command}
    write_json(path, data)
    return path


def save_calibration(controls: dict[str, dict[int, dict]], command: str, root: Path = ROOT) -> Path:
    """Merge these recipes' controls ({recipe: {seed: competence}}, as a check's summaries hold them) into this
    setting's calibration file (atomically)."""
    path = root / CALIBRATIONS / f"{config_name()}.json"
    data = load(path, "recipes", "just calibrate --seeds 0-9") or {"format": FORMAT, "recipes": {}}
    for name, by_seed in controls.items():
        data["recipes"].setdefault(name, {}).update({str(seed): c for seed, c in by_seed.items()})
    data |= {"threads": settings.threads(), "isa": settings.isa_label(), "machine": settings.machine(),
             "measured_at": now(), "command": command}
    write_json(path, data)
    return path


def load(path: Path, holds: str = "breaks", rebuild: str = "just check --seeds 0-9") -> dict | None:
    data = read_json(path, MeasurementsError, rebuild)
    if data is not None and (data.get("format") != FORMAT or not isinstance(data.get(holds), dict)):
        raise MeasurementsError(f"{path} is not a results file of this lab; rebuild it with: {rebuild}")
    return data


def load_all(root: Path = ROOT) -> dict[str, dict]:
    """Every setting's results: {file stem: results}."""
    return {p.stem: load(p) for p in sorted((root / RESULTS).glob("*.json"))}


def load_calibrations(root: Path = ROOT) -> dict[str, dict]:
    """Every setting's calibration: {file stem: calibration}."""
    return {p.stem: load(p, "recipes", "just calibrate --seeds 0-9")
            for p in sorted((root / CALIBRATIONS).glob("*.json"))}


def _span(values: list[float], percent: bool) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    lo, hi = min(values), max(values)
    fmt = (lambda v: f"{100 * v:.1f} %") if percent else (lambda v: f"{v:.3g}")
    return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"


def _worst(readings: list[dict], detector: str, role: str) -> dict | None:
    """The reading nearest to the wrong side of its threshold (a failed one first); None is quiet."""
    from minimodel.detectors import DETECTORS

    found = [r for r in readings if r["detector"] == detector and r["role"] == role]
    if not found:
        return None
    failed = [r for r in found if not r["ok"]]
    if failed:
        return failed[0]
    up = DETECTORS[detector].fires_above  # toward firing

    def toward_fire(r: dict) -> float:
        return -1e18 if r["value"] is None else r["value"] if up else -r["value"]

    return min(found, key=toward_fire) if found[0]["must_fire"] else max(found, key=toward_fire)


def catalogue_rows(catalogue: list[Break], results: dict[str, dict]) -> list[str]:
    """One row per break: what fires (the worst reading over every seed and setting), the control's AR exact
    match, the settings and seeds it was measured on."""
    rows = ["| break | symptoms: worst reading (threshold) | healthy control, AR exact match | measured on |",
            "|---|---|---:|---|"]
    for b in catalogue:
        mine = {name: r["breaks"][b.tag] for name, r in results.items() if b.tag in r["breaks"]}
        if not mine:
            rows.append(f"| `{b.tag}` | not measured yet: `just check --seeds 0-9 --only {b.tag}` | | |")
            continue
        readings = [x for e in mine.values() for x in e["readings"]]
        role = "with the fix" if b.expect == "no-effect" else "under the break"
        parts = []
        for d in b.detectors:
            w = _worst(readings, d, "under the break")
            if w is not None:
                shown = "n/a" if w["value"] is None else f"{w['value']:.3g}"
                parts.append(f"`{d}` {shown} ({w['threshold']:g}){'' if w['ok'] else ' FAILED'}")
        control = [s["control"]["AR exact match"] for e in mine.values() for s in e["summaries"]]
        seeds = sorted({s for e in mine.values() for s in e["seeds"]})
        status = "" if all(e["ok"] for e in mine.values()) else " — **a contract failed**"
        what = ("; ".join(parts) or "–") + (" (must stay quiet)" if role != "under the break" else "")
        rows.append(f"| `{b.tag}` | {what}{status} | {_span(control, True)} | {', '.join(sorted(mine))}; "
                    f"seeds {_seed_span(seeds)} |")
    return rows


def headline_rows(catalogue: list[Break], results: dict[str, dict]) -> list[str]:
    """Per break: AR exact match, TF exact match and held-out loss of the break beside its control, over every
    seed and setting measured."""
    rows = ["| break | AR exact match: break / control | TF exact match: break / control | loss: break / control |",
            "|---|---|---|---|"]
    for b in catalogue:
        sums = [s for r in results.values() if b.tag in r["breaks"] for s in r["breaks"][b.tag]["summaries"]]
        if not sums:
            continue
        cells = [f"{_span([s['brk'][k] for s in sums], pct)} / {_span([s['control'][k] for s in sums], pct)}"
                 for k, pct in (("AR exact match", True), ("TF exact match", True), ("loss", False))]
        rows.append(f"| `{b.tag}` | " + " | ".join(cells) + " |")
    return rows


def competence_rows(catalogue: list[Break], results: dict[str, dict], calibrations: dict[str, dict]) -> list[str]:
    """Per recipe and setting: the slowest seed's step to the bar, the deadline, the latest step a control stopped
    at (competent with the margin there: `competence.done`) and the worst score there, from the controls
    `just check` and `just calibrate` trained (the same control when both did: it is cached)."""
    from minimodel import competence

    rows = ["| recipe | setting | seeds | slowest to the bar | deadline | latest stop (of) | worst score there | "
            "measured by |", "|---|---|---|---:|---:|---:|---:|---|"]
    for recipe in dict.fromkeys(b.recipe for b in catalogue if not b.half_trained):
        for name in sorted(results.keys() | calibrations.keys()):
            checked = {s["seed"]: s["competence"] for b in catalogue if b.recipe == recipe
                       for s in results.get(name, {}).get("breaks", {}).get(b.tag, {}).get("summaries", [])
                       if "competence" in s}
            by_seed = calibrations.get(name, {}).get("recipes", {}).get(recipe, {})
            calibrated = {int(seed): c for seed, c in by_seed.items()}
            comp = checked | calibrated
            if not comp:
                continue
            reach = [c["steps_to_bar"] for c in comp.values()]
            steps = max(c["steps"] for c in comp.values())
            slowest = "never" if None in reach else str(max(reach))
            by = ", ".join(cmd for cmd, got in (("check", checked), ("calibrate", calibrated)) if got)
            rows.append(f"| `{recipe}` | {name} | {_seed_span(sorted(comp))} | {slowest} | "
                        f"{competence.deadline(steps)} | {max(c.get('stopped', steps) for c in comp.values())} "
                        f"({steps}) | "
                        f"{_span([min(c['score'] for c in comp.values())], True)} | "
                        f"{by} |")
    return rows


def _seed_span(seeds: list[int]) -> str:
    return f"{seeds[0]}–{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 1 \
        else ",".join(map(str, seeds))


def provenance(results: dict[str, dict],
               intro: str = "Measured by `just check` under each setting below (`MINIMODEL_THREADS`, `MINIMODEL_ISA`):"
               ) -> str:
    lines = [f"- `{name}`: {r['machine']}, {r['isa']}, {r['threads']} thread(s); last `{r['command']}` at "
             f"{r['measured_at']}" for name, r in results.items()]
    return intro + "\n\n" + "\n".join(lines) if lines else "*Nothing measured yet: run `just check --seeds 0-9`.*"


def readme_rows(catalogue: list[Break]) -> list[str]:
    """The README's catalogue: tag, title, phase, in teaching order (nothing measured: no numbers to drift)."""
    return ["| tag | title (the symptom) | phase |", "|---|---|---|"] + \
        [f"| `{b.tag}` | {b.title} | {b.phase} |" for b in catalogue]


def fill(text: str, marker: str, body: str) -> str:
    """Replace what stands between `<!-- generated: marker -->` and `<!-- /generated -->`."""
    pattern = re.compile(rf"(<!-- generated: {re.escape(marker)} -->\n).*?(<!-- /generated -->)", re.S)
    if not pattern.search(text):
        raise MeasurementsError(f"no <!-- generated: {marker} --> block to fill")
    return pattern.sub(lambda m: m.group(1) + body.rstrip() + "\n" + m.group(2), text)


def expected_files(catalogue: list[Break], root: Path = ROOT) -> dict[Path, str]:
    """The README, the measurement page and the checkup page's matrix, as the catalogue and the results make them."""
    results = load_all(root)
    readme = root / "README.md"
    text = readme.read_text()
    start, end = "<!-- catalogue:start -->\n", "<!-- catalogue:end -->"
    if start not in text or end not in text:
        raise MeasurementsError(f"{readme} has no <!-- catalogue:start --> ... <!-- catalogue:end --> block")
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    files = {readme: before + start + "\n".join(readme_rows(catalogue)) + "\n" + end + after}
    page = (root / PAGE).read_text()
    page = fill(page, "catalogue", provenance(results) + "\n\n" + "\n".join(catalogue_rows(catalogue, results)))
    page = fill(page, "headlines", "\n".join(headline_rows(catalogue, results)))
    calibrations = load_calibrations(root)
    competence = "\n".join(competence_rows(catalogue, results, calibrations))
    if calibrations:
        competence = provenance(calibrations, "Rows measured by `just calibrate` (the controls alone, no break) come "
                                "from each setting below; the others from `just check`, above:") + "\n\n" + competence
    page = fill(page, "competence", competence)
    files[root / PAGE] = page
    checkup_page = root / CHECKUP_PAGE
    files[checkup_page] = fill(checkup_page.read_text(), "checkup-matrix", checkup_matrix.markdown(catalogue))
    return files


def write_catalogue(catalogue: list[Break], echo=print, root: Path = ROOT) -> int:
    """`just catalogue`: write the README's listing and the measurement page; how many files changed."""
    changed = 0
    for path, text in expected_files(catalogue, root).items():
        if path.read_text() != text:
            write_text(path, text)
            echo(f"wrote {path.relative_to(root)}")
            changed += 1
    return changed


def catalogue_problems(catalogue: list[Break], root: Path = ROOT) -> list[str]:
    """The README's listing or the measurement page differs from what `just catalogue` writes."""
    try:
        want = expected_files(catalogue, root)
    except MeasurementsError as e:
        return [str(e)]
    return [f"{path.relative_to(root)} is outdated (a break's row, title or measurement changed); run: "
            "just catalogue" for path, text in want.items() if path.read_text() != text]
