"""The notebook facade: the only module a break notebook imports (setup, predict, run, inspect, explain, fix)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


from minimodel import seams, settings
from minimodel.catalogue import Break, find_break
from minimodel.catalogue.sources import unattempted
from minimodel.classroom import learners, predictions
from minimodel.classroom.grade import CONFIDENT
from minimodel.classroom.notebook_seals import show_seal
from minimodel.detectors import Finding
from minimodel.harness.findings import by_name, observe, score
from minimodel.notebooks import panels, widgets
from minimodel.notebooks.display import Table, headless, in_kernel, show, show_markdown

_last_run: dict = {}  # the last run of this kernel: {"learner", "verdict"}

if in_kernel():  # one deliberate thread count; runs/ and learners/ at the repository root, not in notebooks/
    settings.use_threads()
    settings.use_repository_folders()


def default_learner() -> str:
    """The learner's name: MINIMODEL_LEARNER if set, else 'learner'."""
    return settings.default_learner()


def _break(tag: str | Break) -> Break:
    return tag if isinstance(tag, Break) else find_break(tag)


# --------------------------------------------------------------------------------------------
# 1. Setup


def setup(tag: str) -> None:
    """What the task and the model are: two sentences and one table, no hint of the cause."""
    from minimodel.data import encode_example
    from minimodel.harness.verdict import recipe_for
    from minimodel.model import preset

    brk = _break(tag)
    recipe = recipe_for(brk)
    task = recipe.make_task(0)
    tok = task.tokenizer
    cfg = preset(recipe.model, vocab_size=tok.vocab_size, block_size=recipe.block_size)
    batching = {"rows": "one padded example per row", "left-padded rows": "one example per row, padded on the left",
                "packed": f"examples packed into one stream, cut into blocks of {recipe.block_size} tokens",
                "packed documents": f"whole examples packed into rows of {recipe.block_size} tokens, each seeing "
                                    "only itself"}[recipe.batching]
    loss_on = "answer tokens only" if recipe.loss_on == "answer" else "every token of the stream"
    vocab = " ".join(f"`{t!r}`" if t.strip() != t or not t else f"`{t}`" for t in tok.itos)
    samples = "<br>".join(f"`{tok.decode(encode_example(task, ex)[0])!r}`" for ex in task.train[:3])
    show_markdown(
        f"**Task.** {task.description}. A GPT with {cfg.n_layer} layer(s), {cfg.n_head} heads and "
        f"{cfg.n_embd}-dimensional embeddings learns it from {len(task.train):,} examples "
        f"({len(task.val):,} held out), {batching}, with the loss on {loss_on}.\n\n"
        f"**This notebook** trains that model with the break `{brk.tag}` switched on, and beside it a "
        f"healthy control (same data, seed and steps), for "
        + (f"up to {recipe.steps} steps each: both stop at the same step once the control has learned its task "
           "with the margin." if recipe.stop_when_competent else f"{recipe.steps} steps each.")
        + (f" **Its control is not held to the competence rule:** {brk.half_trained}" if brk.half_trained
           else "") + "\n\n"
        "| | |\n|---|---|\n"
        f"| model | `{recipe.model}`: {cfg.n_layer} layers × {cfg.n_head} heads, d={cfg.n_embd}, "
        f"block {recipe.block_size} |\n"
        f"| training | {recipe.steps} steps, batch {recipe.batch_size}, lr {recipe.lr:g} (warm-up, cosine) |\n"
        f"| vocabulary ({tok.vocab_size}) | {vocab} |\n"
        f"| data sample | {samples} |\n")


# --------------------------------------------------------------------------------------------
# 2. Predict


def predict(tag: str, learner: str, answers: dict | None = None, confidence: dict | None = None) -> None:
    """Widgets for the break's questions, each with a confidence, and a Save button that seals them. Without
    widgets (a front end that has none): `answers` and `confidence` seal from the cell, and the cell prints
    the call to fill in. Headless (nobody can type): seal the defaults, confidence low."""
    brk = _break(tag)
    learners.check_learner(learner)
    sealed = predictions.current(learner, brk)
    if answers is not None:
        try:
            version = predictions.seal(learner, brk, answers, confidence=confidence)
        except learners.LearnerError as e:
            print(f"Not saved: {e}")
            return
        print(f"Sealed as revision {version['revision']} for {learner!r} at {version['sealed_at']}. "
              "Now run the next cell.")
        show_seal(learner, brk.tag, version)
        return
    if headless() and not settings.headless_forced() and in_kernel():  # a person, but no widgets to click
        if sealed:
            show_seal(learner, brk.tag, sealed)
        widgets.prediction_call(brk.questions, predictions.CONFIDENCE)
        return
    if not headless():
        def save(answers: dict, confidence: dict) -> str:
            try:
                v = predictions.seal(learner, brk, answers, confidence=confidence)
            except learners.LearnerError as e:
                return f"Not saved: {e}"
            return f"Sealed as revision {v['revision']} for {learner!r} at {v['sealed_at']}. Now run the next cell."

        note = (f"You sealed a prediction at {sealed['sealed_at']}; saving again adds a revision (both are kept)."
                if sealed else "")
        if sealed:
            show_seal(learner, brk.tag, sealed)  # re-running this cell puts the seal in force into the notebook
        widgets.prediction_form(brk.questions, sealed["answers"] if sealed else {}, save, note,
                                predictions.CONFIDENCE, sealed.get("confidence") if sealed else None)
        return
    if sealed:
        version = predictions.seal(learner, brk, sealed["answers"], confidence=sealed.get("confidence"))
    else:
        defaults = {q.id: q.default if q.kind != "text" or q.default
                    else "(no explanation: the notebook ran headless)" for q in brk.questions}
        version = predictions.seal(learner, brk, defaults, confidence={q.id: "low" for q in brk.questions})
    source = "your sealed answers" if sealed else "the default answers (headless: nobody can type)"
    print(f"Running headless: using {source}.")
    for q in brk.questions:
        sure = version.get("confidence", {}).get(q.id, "no confidence given")
        print(f"  {q.id}: {version['answers'][q.id]!r} ({sure})")
    print(f"Sealed for {learner!r} at {version['sealed_at']} ({version['digest'][:19]}...).")
    show_seal(learner, brk.tag, version)  # the seal travels in the notebook's outputs too


# --------------------------------------------------------------------------------------------
# 3. Run


def run(tag: str, learner: str):
    """Train the broken model and its healthy control (progress bars); keep both for inspection."""
    from minimodel.classroom.learner_runs import train_for_learner

    brk = _break(tag)
    learners.check_learner(learner)
    in_force = predictions.current(learner, brk)
    if in_force is None:
        print("No prediction sealed yet: this run is recorded as started before any prediction.")
    else:
        show_seal(learner, brk.tag, in_force)  # saved with the notebook: graded even if the sidecar files are lost
    verdict = train_for_learner(brk.tag, echo=print, learner=learner)
    _last_run.update(learner=learner, verdict=verdict)
    print(f"done in {verdict.run.seconds + verdict.control.seconds:.1f} s; {verdict.steps_note}; files in "
          f"{verdict.folder}")
    return verdict


def _last():
    """The kernel's last verdict: what its manifest holds, findings included."""
    if "verdict" not in _last_run:
        raise RuntimeError("nothing has run yet: run the cell with lab.run(TAG, LEARNER) first")
    return _last_run["verdict"]


# --------------------------------------------------------------------------------------------
# 4. Inspect


def show_losses() -> None:
    """Training loss of the break and the healthy control, with the entropy floor drawn."""
    v = _last()
    panels.losses(v.tag, v.run, v.control)


def attention_figure(index: int = 0, layer: int | None = None, head: int | None = None):
    """Broken (left) and healthy (right): layers × heads heatmaps, token labels on both axes, scale 0..1."""
    v = _last()
    return panels.attention_figure(v.tag, v.run, v.control, index, layer, head)


def show_attention(index: int = 0) -> None:
    """The heatmap grids side by side, with pickers for the prompt, the layer and the head."""
    v = _last()
    panels.attention(v.tag, v.run, v.control, index)


def tf_ar_table() -> None:
    """Teacher-forced against autoregressive, for both runs, and a few AR samples beside their targets."""
    v = _last()
    panels.tf_ar(v.tag, v.run, v.control)


def findings() -> None:
    """The detectors' findings in plain words: the break's own first, then any health check that fired."""
    v = _last()
    brk = v.brk
    t = v.table(notable_only=True, summaries=True)
    show(t.html(), t.text())
    found = by_name(v.findings)
    fired = [n for n in brk.detectors if found[n].fired]
    failed = [n for n in brk.check_detectors if found[n].fired]
    if brk.check_detectors:
        print("The machinery works: every check stays quiet." if not failed
              else f"A check failed: {', '.join(failed)}. Something is wrong with the machinery itself.")
    if brk.expect == "no-effect":
        print("The detectors stay quiet: this change did not hurt the model, whatever the tutorials say."
              if not fired else f"Unexpected: {', '.join(fired)} fired.")
    elif fired:
        print(f"{len(fired)} of the break's {len(brk.detectors)} detectors fired: {', '.join(fired)}.")
    else:
        print("None of the break's detectors fired in this run.")
    note = heatmap_note(found, brk.detectors)
    if note:
        print(note)


def heatmap_note(found: dict[str, Finding], declared: list[str]) -> str | None:
    """When the heatmap looks causal but the leak test (or the floor, for a break that leaks) caught a leak."""
    caught = [label for name, label in (("loss_below_floor", "the entropy floor"), ("leak_test", "the leak test"))
              if name in found and found[name].fired and (name == "leak_test" or name in declared)]
    if "future_attention" not in found or found["future_attention"].fired or not caught:
        return None
    return ("Note: the heatmap alone did not reveal the leak (no visible attention above the diagonal); "
            f"{' and '.join(caught)} did.")


# --------------------------------------------------------------------------------------------
# 5. Compare with your prediction


def compare_prediction() -> None:
    """Each question: what the learner predicted, what the run showed, and the grader's score for it."""
    v = _last()
    brk = v.brk
    sealed = predictions.current(_last_run["learner"], brk)
    answers = sealed["answers"] if sealed else {}
    sure = sealed.get("confidence", {}) if sealed else {}
    observed = observe(brk, v.run.metrics, by_name(v.findings))
    rows, surprises = [], []
    for q in brk.questions:
        said = answers.get(q.id, "(not sealed)")
        if q.kind == "text":
            rows.append([q.id, said, sure.get(q.id, "-"), "explain what you saw in the next section", ""])
            continue
        right = score(q, answers.get(q.id), observed[q.id])
        rows.append([q.id, said, sure.get(q.id, "-"), observed[q.id], "right" if right else "wrong"])
        if not right and sure.get(q.id) == CONFIDENT:
            surprises.append(q.id)
    t = Table(["question", "you predicted", "how sure", "the run showed", ""], rows)
    show(t.html(), t.text())
    if not sealed:
        print("You sealed no prediction for this break; the questions above are still worth answering.")
    elif surprises:
        print(f"You were sure of {', '.join(surprises)}, and the run showed otherwise: that surprise is the most "
              "useful thing to explain in the next section.")


# --------------------------------------------------------------------------------------------
# 6. Explain


HEADLESS_EXPLANATION = "(no explanation: the notebook ran headless)"


def explain(tag: str, learner: str) -> None:
    """A text box for what you observed and why, sealed as its own record after the run; headless: a placeholder."""
    from minimodel.classroom import explanations

    brk = _break(tag)
    learners.check_learner(learner)
    versions = explanations.history(learner, brk)
    if explanations.last_run_started(learner, brk) is None:
        print("No run of this break is recorded yet: run it first, then explain what you observed.")
    if not headless():
        def save(text: str) -> str:
            try:
                v = explanations.seal(learner, brk, text)
            except learners.LearnerError as e:
                return f"Not saved: {e}"
            show_seal(learner, brk.tag, v)
            return f"Explanation sealed as revision {v['revision']} at {v['sealed_at']}."

        widgets.text_form(versions[-1]["text"] if versions else "",
                          "What did the run show, beside the control, and why? Which panel or detector told you?",
                          "Seal my explanation", save)
        return
    v = explanations.seal(learner, brk, versions[-1]["text"] if versions else HEADLESS_EXPLANATION)
    print(f"Running headless: sealed {'your explanation' if versions else 'a placeholder explanation'} "
          f"for {learner!r} at {v['sealed_at']}.")
    show_seal(learner, brk.tag, v)


@dataclass
class HintCascade:
    """The break's hints, revealed one level at a time; each reveal is recorded for the grader."""
    brk: Break
    learner: str
    shown: list[str] = field(default_factory=list)
    button: object = field(default=None, repr=False)  # the widget, in JupyterLab

    def reveal_next(self) -> str | None:
        if len(self.shown) >= len(self.brk.hints):
            return None
        level = len(self.shown) + 1
        learners.record_hint(self.learner, self.brk, level)
        self.shown.append(self.brk.hints[level - 1])
        return self.shown[-1]


def hints(tag: str, learner: str) -> HintCascade:
    """A button that reveals the next hint (vague first, then specific); headless reveals nothing."""
    brk = _break(tag)
    cascade = HintCascade(brk, learners.check_learner(learner))
    levels = {e.get("level", 0) for e in learners.hints(learner, brk)}
    cascade.shown = [brk.hints[i] for i in range(len(brk.hints)) if i + 1 in levels and all(
        j + 1 in levels for j in range(i))]  # the levels already revealed, in order
    if headless():
        print(f"Running headless: the {len(brk.hints)} hints stay hidden ({len(cascade.shown)} revealed earlier). "
              "In JupyterLab a button reveals them one at a time.")
        return cascade
    cascade.button = widgets.hint_button(cascade.shown, len(brk.hints), cascade.reveal_next)
    return cascade


# --------------------------------------------------------------------------------------------
# 7. Fix


@dataclass
class FixReport:
    fixed: bool
    message: str
    still_firing: list[str] = field(default_factory=list)
    verdict: object = None  # minimodel.harness.verdict.Verdict when the run went through

    def __repr__(self) -> str:
        return f"FixReport(fixed={self.fixed}, still_firing={self.still_firing})"


def verify_fix(tag: str, fix: Callable | Mapping[str, Callable], learner: str | None = None) -> FixReport:
    """Train with your function(s) in place of the broken seam(s) and read the break's detectors again; the outcome
    is recorded for `learner` (default: the learner of this kernel's last run, else default_learner())."""
    from minimodel.harness.verdict import fix_map, run_break

    brk = _break(tag)
    learner = learner or _last_run.get("learner") or default_learner()
    try:
        fixes = fix_map(brk, fix)
        for name, fn in fixes.items():
            seams.check_replacement(name, fn)
    except seams.SeamError as e:
        return _report(FixReport(False, f"not fixed yet: {e}"))
    if any(unattempted(fn) for fn in fixes.values()):
        return _report(FixReport(False, "not fixed yet: the function still raises NotImplementedError; "
                                        "write its body and run the cell again"))
    if not seams.not_healthy(fixes):
        print("Your fix is the seam's healthy code word for word, reading the same objects: its run is the healthy "
              "control's, trained once for both.")
    try:
        v = run_break(brk, fix=fixes, progress=settings.watched())
    except Exception as e:  # the learner's code: any error means "not fixed", never a crashed notebook
        return _report(FixReport(False, f"not fixed yet: your function raised {type(e).__name__}: {e}"))
    still = v.fired + [f.name for f in v.checks if f.fired]
    try:
        learners.record_fix(learner, brk, not still, still)
    except learners.LearnerError as e:  # the verdict stands; only `status` misses it
        print(f"warning: the fix was not recorded: {e}")
    print(v.table(notable_only=True).text())
    ok_text = ("the detectors stay quiet and the model stays as healthy as the control" if brk.expect == "no-effect"
               else "the symptom is gone: none of the break's detectors fires")
    if not still:
        return _report(FixReport(True, f"FIXED: {ok_text}.", [], v))
    return _report(FixReport(False, f"not fixed yet: still firing: {', '.join(still)}", still, v))


def _report(r: FixReport) -> FixReport:
    print(r.message)
    return r


# --------------------------------------------------------------------------------------------
# 8. Where you stand


def status(learner: str | None = None):
    """Per break in teaching order: predicted, run, explained, fixed, hints, score, drill; then the next step.
    A notebook draws it as a table."""
    from minimodel.classroom.status import learner_status

    return learner_status(learner or default_learner())


# --------------------------------------------------------------------------------------------
# 9. Why it teaches


def reveal(tag: str) -> None:
    """The symptom in a line, the cause, the fix as a diff, why it teaches, where the bug was seen in real code."""
    brk = _break(tag)
    show_markdown(f"**What it looks like.** {brk.title}.\n\n**The cause.** {brk.cause}\n\n"
                  "**The fix** (the broken seam against the healthy one):\n\n"
                  f"```diff\n{brk.fix_diff()}```\n\n**Why it teaches.** {brk.why}\n\n"
                  f"**Seen in the wild.** {brk.seen_in}\n")
