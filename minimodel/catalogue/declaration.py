"""A break, declared once: the frozen object each breaks/bNN_<slug>.py fills in, and what makes it complete."""
from __future__ import annotations

import difflib
import inspect
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from minimodel import seams
from minimodel.detectors import DETECTORS, Finding
from minimodel.metrics import Metrics
from minimodel.recipes import RECIPES

Findings = dict[str, Finding]  # a run's findings by detector name, as a question's observe reads them


@dataclass(frozen=True)
class Question:
    """A prediction question. Multiple choice when `options` is set, numeric when `tolerance` is."""
    id: str
    text: str
    options: tuple[str, ...] = ()
    tolerance: float | None = None  # a numeric answer within this distance of the observation scores
    observe: Callable[[Metrics, Findings], str | float] | None = None  # (metrics, findings by name) -> answer
    default: str | float = ""  # used when a notebook runs headless and nobody answers
    reads: str | None = None  # the detector whose finding `observe` reads: the break must declare it

    @property
    def kind(self) -> str:
        return "choice" if self.options else "number" if self.tolerance is not None else "text"


@dataclass(frozen=True)
class Symptom:
    detector: str
    threshold: float | None = None  # None: the detector's default threshold


@dataclass(frozen=True)
class Break:
    title: str  # names the symptom, never the cause
    phase: str
    replaces: Mapping[str, Callable]  # seam name -> the broken function (its planted line says # BUG:)
    recipe: str  # a name from minimodel.recipes.RECIPES
    questions: tuple[Question, ...]
    symptoms: tuple[Symptom, ...]  # detectors that fire under the break and stay quiet with the fix
    hints: tuple[str, ...]  # vague to specific
    cause: str  # one sentence, hidden until the reveal
    why: str  # why it teaches
    seen_in: str  # where the bug was seen in real code
    steps: int | None = None  # override the recipe's step count
    # what the contract proves: "symptom" (the symptoms fire broken, stay quiet fixed), "no-effect"
    # (the failure learners predict does not come: the symptoms stay quiet under the break too) or
    # "sanity" (an exercise that proves the machinery: its `checks` pass, the variant shows its symptoms)
    expect: str = "symptom"
    checks: tuple[Symptom, ...] = ()  # detectors that stay quiet both under the break and with the fix
    # why this break runs on a model stopped before it learned its task (with `steps`); empty: the
    # healthy control must be competent, as every other break's is (minimodel/competence.py)
    half_trained: str = ""
    module: str = field(default="", compare=False)  # minimodel.breaks.bNN_slug, filled in by discovery

    # One name: the file name. breaks/b02_no_mask.py is the break "no-mask", run under the tag
    # "broken-no-mask", with notebooks/b02_no_mask.ipynb and solutions/b02_no_mask/.
    @property
    def slug(self) -> str:
        """The module's file name without .py: b02_no_mask."""
        return self.module.rsplit(".", 1)[-1]

    @property
    def id(self) -> str:
        """The short name: no-mask."""
        return self.slug[4:].replace("_", "-")

    @property
    def tag(self) -> str:
        """The run tag learners type: broken-no-mask."""
        return f"broken-{self.id}"

    @property
    def change(self) -> str:
        """The change in plain words: the module's docstring without its label ("Break:", "Sanity check:", ...)."""
        doc = (sys.modules[self.module].__doc__ or "").strip() if self.module in sys.modules else ""
        for label in LABELS:
            if doc.startswith(label):
                doc = doc[len(label):].strip()
        return doc[:1].upper() + doc[1:]

    @property
    def fix(self) -> dict[str, Callable]:
        """The fix: each replaced seam's healthy behaviour."""
        return {name: seams.REGISTRY[name].healthy for name in self.replaces}

    def fix_diff(self) -> str:
        """The fix as a unified diff from the broken function to the seam's healthy code."""
        out = []
        for name, broken in self.replaces.items():
            healthy = seams.REGISTRY[name].healthy
            old = inspect.getsource(broken).replace(f"def {broken.__name__}(", f"def {name}(", 1)
            out += difflib.unified_diff(old.splitlines(True), inspect.getsource(healthy).splitlines(True),
                                        f"{self.module or self.id} ({broken.__name__})",
                                        f"minimodel/seams.py ({name})")
        return "".join(out)

    @property
    def detectors(self) -> list[str]:
        return [s.detector for s in self.symptoms]

    @property
    def check_detectors(self) -> list[str]:
        return [s.detector for s in self.checks]

    @property
    def thresholds(self) -> dict[str, float]:
        return {s.detector: s.threshold for s in self.symptoms + self.checks if s.threshold is not None}


EXPECTS = ("symptom", "no-effect", "sanity")
LABELS = ("Break:", "Predict no effect:", "Sanity check:")  # how a break module's docstring opens
MODULE_NAME = re.compile(r"minimodel\.breaks\.b\d\d_[a-z0-9]+(_[a-z0-9]+)*")


def metadata_problems(b: Break) -> list[str]:
    """What is missing or inconsistent in a declaration (empty when it is complete)."""
    p = []
    if not MODULE_NAME.fullmatch(b.module):
        p.append(f"module {b.module!r} must be minimodel.breaks.bNN_<slug>, from breaks/bNN_<slug>.py "
                 "(lower case, digits, '_')")
    else:
        todo = [i for i, line in enumerate(inspect.getsource(sys.modules[b.module]).splitlines(), 1) if "TODO" in line]
        if todo:
            p.append(f"breaks/{b.slug}.py still has TODO placeholders from `just new` (lines "
                     f"{', '.join(map(str, todo))})")
    for name in ("title", "phase", "cause", "why", "seen_in"):
        if not getattr(b, name).strip():
            p.append(f"{name} is empty")
    if len(b.hints) < 3:
        p.append(f"needs at least 3 hints, has {len(b.hints)}")
    if b.recipe not in RECIPES:
        p.append(f"unknown recipe {b.recipe!r}")
    if not b.replaces:
        p.append("replaces no seam")
    for name, fn in b.replaces.items():
        try:
            seams.check_replacement(name, fn)
        except seams.SeamError as e:
            p.append(str(e))
            continue
        if "# BUG:" not in inspect.getsource(fn):
            p.append(f"the broken {name!r} has no line marked '# BUG:'")
    if not b.symptoms:
        p.append("declares no symptom")
    if b.half_trained and b.steps is None:
        p.append("a half-trained break must set `steps`: how far its runs train")
    if b.expect not in EXPECTS:
        p.append(f"expect is {b.expect!r}; it must be one of {', '.join(EXPECTS)}")
    if b.expect == "sanity" and not b.checks:
        p.append("a sanity exercise needs checks: the detectors that prove the machinery works")
    p += [f"unknown detector {s.detector!r}" for s in b.symptoms + b.checks if s.detector not in DETECTORS]
    kinds = {q.kind for q in b.questions}
    if not {"choice", "number", "text"} <= kinds:
        p.append(f"questions must include choice, number and text kinds, has {sorted(kinds)}")
    p += [f"question {q.id!r} has no way to observe its answer" for q in b.questions
          if q.kind != "text" and q.observe is None]
    declared = {s.detector for s in b.symptoms + b.checks}
    p += [f"question {q.id!r} reads {q.reads!r}, which the break does not declare (add it to its checks)"
          for q in b.questions if q.reads and q.reads not in declared]
    return p
