"""The one template every break notebook is generated from: (cell id, kind, text) per section, in order.

The title names the change, not its symptom: predicting the symptom is the learner's work, and the
break's title (which names it) appears in the last section. Placeholders in braces are filled from the
break's declaration by minimodel.notebooks.generate. The id of a cell is fixed by its section, so
regenerating an unchanged catalogue gives byte-identical files.
"""


def import_cell(name: str) -> str:
    """A notebook's first import, with the one line a kernel without the lab needs (a hosted JupyterLab, Colab)."""
    return (f"try:\n    from minimodel import {name}\n"
            "except ModuleNotFoundError:  # a fresh kernel: the lab is not installed in it yet\n"
            '    raise ModuleNotFoundError("run  %pip install minimodel-break-lab  in this kernel, then this cell '
            'again") from None')


CELLS = [
    ("title", "markdown", """\
# Break exercise: `{tag}`

phase: {phase} · `{module}`

{intro}

Work from top to bottom: **the change, predict, run, inspect, compare, explain, fix**. Each code cell
runs in a few seconds. The healthy code appears only in the last section, after your fix."""),

    ("change-md", "markdown", """\
## 1. The change

{change}

The planted code (the line marked `# BUG:` is the change; everything else is as in a healthy run):

{broken_source}

It trains on this task and model:"""),
    ("setup", "code", import_cell("lab") + """

TAG = "{tag}"
LEARNER = lab.default_learner()  # or your name, e.g. LEARNER = "ada"

lab.setup(TAG)"""),

    ("predict-md", "markdown", """\
## 2. Predict

Before you run anything: what will this change do to the run? Answer every question, say how sure you
are of each answer (low, medium or high), and press **Save my prediction** (a front end without widgets
prints the line that seals your answers instead). The prediction is sealed with
the time and a digest, and the run records which sealed prediction was in force, so an instructor can
tell a prediction made before the run from one made after it. You may save again (every version is
kept). `LEARNER` (letters, digits, `.`, `_`, `-`) names whose work this is."""),
    ("predict", "code", "lab.predict(TAG, LEARNER)"),

    ("run-md", "markdown", """\
## 3. Run

Train the model with the change switched on, then a healthy control on the same data, seed and steps."""),
    ("run", "code", "outcome = lab.run(TAG, LEARNER)"),

    ("inspect-md", "markdown", """\
## 4. Inspect

The training loss of both runs, with the data's entropy floor: the lowest loss a model that only
reads the past can reach."""),
    ("losses", "code", "lab.show_losses()"),
    ("attention-md", "markdown", """\
Attention on one held-out example: one heatmap per layer (rows) and head (columns), the break on the
left and the healthy control on the right, on the same 0 to 1 scale. Pick another prompt, or one
layer and head, with the menus."""),
    ("attention", "code", "lab.show_attention()"),
    ("tf-ar-md", "markdown", """\
Teacher forcing (TF: one pass over the whole example, the true tokens fed in) against autoregressive
generation (AR: the model feeds itself, greedily), and a few AR samples beside their targets."""),
    ("tf-ar", "code", "lab.tf_ar_table()"),
    ("findings-md", "markdown", "What the detectors found, with the numbers and thresholds:"),
    ("findings", "code", "lab.findings()"),

    ("compare-md", "markdown", """\
## 5. Compare with your prediction

Each question: what you predicted, how sure you were, and what the run showed (decided by the
detectors, not by hand)."""),
    ("compare", "code", "lab.compare_prediction()"),

    ("explain-md", "markdown", """\
## 6. Explain what you observed

In your own words: what did the run show beside the healthy control, and why does this change cause
it? Which panel or detector told you? A confident prediction that turned out wrong is the best thing
to explain. Your explanation is sealed as its own record, after the run."""),
    ("explain", "code", "lab.explain(TAG, LEARNER)"),
    ("hints-md", "markdown", """\
Stuck? The button reveals one hint at a time, vague first, then specific. Every hint you open is
recorded."""),
    ("hints", "code", "hints = lab.hints(TAG, LEARNER)"),

    ("fix-md", "markdown", """\
## 7. Fix

{fix_intro}"""),
    ("fix", "code", """\
{fix_source}"""),

    ("reveal-md", "markdown", """\
## 8. Why it teaches

Try the fix before you read on: this section shows the healthy code."""),
    ("reveal", "code", "lab.reveal(TAG)"),
]

INTRO = {
    "symptom": "One change is planted in an otherwise healthy training run, and you can read it below. Predict what "
               "it will do, run it beside a healthy control, explain what you saw, then fix it.",
    "no-effect": "This run has a change that looks like a bug, and you can read it below. Predict what it does to "
                 "training, then check.",
    "sanity": "The first exercise: prove the machinery works before trusting it with anything harder.",
}
SOLUTION_INTRO = ("**Solution notebook.** The same flow as the learner's notebook, with the fix written out; "
                  "its last check asserts that the fix removes the symptom.")
