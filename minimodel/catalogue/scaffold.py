"""`just new SLUG`: breaks/bNN_<slug>.py with every field to fill in, the seam's code and the common questions."""
from __future__ import annotations

import re
from pathlib import Path

from minimodel import seams
from minimodel.catalogue.discovery import load_catalogue
from minimodel.catalogue.sources import fix_imports, healthy_source
from minimodel.recipes import RECIPES

SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")

TEMPLATE = '''"""Break: TODO in one line, what is broken (the cause: learners read it only at the reveal)."""
{imports}

# TODO plant the bug: change one line of this healthy copy of the seam and end that line with a BUG comment
# (a comment that starts with "BUG:" and says what is wrong)
{broken}

BREAK = Break(
    title="TODO the symptom a learner sees, never the cause",
    phase="TODO the catalogue's phase, e.g. target masks",
    replaces={{"{seam}": {seam}}},
    # the recipe it runs on, from minimodel/recipes.py: {recipes}
    recipe="{recipe}",
    # at least one choice, one number and one text question: minimodel/catalogue/questions.py has the common
    # ones; catalogue.Question(...) writes any other
    questions=(
        questions.detector_fired("TODO_question", "TODO a question a detector answers?", "TODO_detector",
                                 "TODO first option", "TODO second option", default="TODO second option"),
        questions.ar_exact_match(tolerance=15, default=50),
        questions.explain("In a sentence or two: TODO what will happen, and why?"),
    ),
    symptoms=(Symptom("TODO_detector"),),  # detectors that fire under the break (minimodel/detectors.py)
    hints=("TODO vague: where to look", "TODO more specific", "TODO names the seam and the operation"),
    cause="TODO one sentence, hidden until the reveal",
    why="TODO why it teaches",
    seen_in="TODO where the bug was seen in real code",
)
'''

PLACEHOLDER_SEAM = '''def TODO_seam(x):  # TODO copy a seam from minimodel/seams.py (just new SLUG --seam NAME does)
    return x
'''


def next_steps(tag: str) -> list[str]:
    """What a contributor does after `just new`, in order (docs/contributors/adding-a-break.md says the same)."""
    return ["plant the bug in the seam's copy (its line marked # BUG:) and fill in every TODO",
            f"just check --drift --only {tag}        # the declaration is complete",
            f"just check --seeds 0-9 --only {tag}    # the symptom fires with a margin, the fix clears it",
            "just notebooks                          # its learner and solution notebooks",
            f"just answer-keys --only {tag}           # solutions/<bNN_slug>/answer_key.json",
            "just catalogue                          # its row in the README and on the measurement page",
            f"just drill outcomes --only {tag}        # the blind drill's outcomes, with the break in its pool"]


class ScaffoldError(ValueError):
    """A slug, seam or recipe `just new` cannot use: the message says what it accepts."""


def new_break(slug: str, seam: str | None = None, recipe: str = "rows-answer", folder: Path | None = None) -> Path:
    """Write the next breaks/bNN_<slug>.py (NN after the highest number) and return its path."""
    from minimodel import breaks

    folder = folder or Path(breaks.__path__[0])
    if not SLUG.fullmatch(slug):
        raise ScaffoldError(f"{slug!r} is not a break name; use lower-case words joined by '-', "
                            "e.g. averaged-padding")
    if slug in {b.id for b in load_catalogue()}:
        raise ScaffoldError(f"a break named {slug!r} exists already (broken-{slug}); pick another name")
    if seam is not None and seam not in seams.REGISTRY:
        raise ScaffoldError(f"unknown seam {seam!r}; seams are: {', '.join(sorted(seams.REGISTRY))}")
    if recipe not in RECIPES:
        raise ScaffoldError(f"unknown recipe {recipe!r}; recipes are: {', '.join(RECIPES)}")
    numbers = [int(p.name[1:3]) for p in folder.glob("b[0-9][0-9]_*.py")]
    path = folder / f"b{max(numbers, default=0) + 1:02d}_{slug.replace('-', '_')}.py"
    lines = fix_imports([seam]) if seam else []
    outside = [line for line in lines if not line.startswith("from minimodel")]
    ours = sorted([line for line in lines if line.startswith("from minimodel")]
                  + ["from minimodel.catalogue import Break, Symptom, questions"])
    imports = "\n".join(outside) + ("\n\n" if outside else "") + "\n".join(ours) + "\n"
    path.write_text(TEMPLATE.format(imports=imports, broken=healthy_source(seam) if seam else PLACEHOLDER_SEAM,
                                    seam=seam or "TODO_seam", recipe=recipe, recipes=", ".join(RECIPES)))
    return path
