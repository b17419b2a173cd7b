"""A checkup's report: the lab's findings {name, fired, value, threshold, summary}, as text or markdown."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from minimodel.detectors import Detector, Finding


class CheckupError(ValueError):
    """Input a checkup cannot read (wrong shapes, not a model, not a batch): one line that says what was expected."""


class CheckupFailed(AssertionError):
    """Raised by `Report.raise_on_fired()`: something fired."""


def judge(detector: Detector, measured: dict, cause: str = "", note: str = "") -> Finding:
    """Run one lab detector on `measured`; a fired finding's summary gets its likely cause, any finding the note."""
    f = detector(measured)
    extra = [s for s in (cause if f.fired else "", note) if s]
    return dataclasses.replace(f, summary="; ".join([f.summary, *extra])) if extra else f


def skipped(name: str, threshold: float, why: str) -> Finding:
    """A check that could not run here (no embedding found, no eos_id given, ...): not fired, shown as skipped, with
    the reason."""
    return Finding(name, False, None, threshold, f"not measured: {why}")


def failed(detector: Detector, why: str) -> Finding:
    """A check whose call into the model raised, with a keyword the model takes: fired (a crash is not quiet)."""
    return Finding(detector.name, True, None, detector.threshold, f"{detector.describe}: the model failed; {why}")


@dataclass
class Report:
    title: str
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)  # what was checked, and on what

    @property
    def fired(self) -> list[Finding]:
        """The findings that fired (an empty list, so false, when the setup looks healthy)."""
        return [f for f in self.findings if f.fired]

    def __getitem__(self, name: str) -> Finding:
        for f in self.findings:
            if f.name == name:
                return f
        raise KeyError(f"no finding {name!r}; this report has: {', '.join(f.name for f in self.findings)}")

    def to_dict(self) -> dict:
        return {"title": self.title, "notes": self.notes, "findings": [f.to_dict() for f in self.findings]}

    def raise_on_fired(self) -> Report:
        """For a user's own tests: raise CheckupFailed naming every fired finding, else return the report."""
        if self.fired:
            raise CheckupFailed(f"{self.title}: {len(self.fired)} finding(s) fired\n"
                                + "\n".join(f"- {f.name}: {f.summary}" for f in self.fired))
        return self

    def text(self) -> str:
        rows = [self.title, *(f"  ({n})" for n in self.notes), ""]
        for f in self.findings:
            value = "n/a" if f.value is None else f"{f.value:.4g}"
            rows.append(f"{_state(f):<6} {f.name:<28} {value:>10}  (threshold {f.threshold:g})")
            rows.append(f"       {f.summary}")
        names = [f.name for f in self.fired]
        rows += ["", f"fired: {', '.join(names) if names else 'nothing'}"]
        return "\n".join(rows)

    def markdown(self) -> str:
        rows = [f"**{self.title}**", "", *(f"- {n}" for n in self.notes), "",
                "| | finding | value | threshold | what it means |", "|---|---|---:|---:|---|"]
        for f in self.findings:
            value = "n/a" if f.value is None else f"{f.value:.4g}"
            state, summary = "**FIRED**" if f.fired else _state(f), f.summary.replace("|", "\\|")
            rows.append(f"| {state} | `{f.name}` | {value} | {f.threshold:g} | {summary} |")
        return "\n".join(rows)

    __str__ = text

    def _repr_markdown_(self) -> str:  # Jupyter shows the table
        return self.markdown()


def _state(f: Finding) -> str:
    """FIRED, quiet, or skipped (not measured here: never to be read as quiet)."""
    return "FIRED" if f.fired else "skip" if f.value is None else "quiet"
