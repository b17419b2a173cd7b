"""The blind drill's notebook facade: your deal, a dashboard per id beside a healthy control, detector readouts
on request (each logged), sealed diagnoses, and the reveal. Nothing it shows names a break before the reveal."""
from __future__ import annotations



from minimodel import settings
from minimodel.classroom import drills
from minimodel.classroom.learners import LearnerError
from minimodel.classroom.predictions import CONFIDENCE
from minimodel.detectors import DETECTORS
from minimodel.harness import drill_pool
from minimodel.notebooks import panels, widgets
from minimodel.notebooks.display import Table, headless, in_kernel, show, show_markdown

_runs: dict[tuple[str, str, str], tuple] = {}  # (learner, drill id, break) -> (run, control), in this kernel

if in_kernel():  # as minimodel.lab: one deliberate thread count, learners/ at the repository root
    settings.use_threads()
    settings.use_repository_folders()


def default_learner() -> str:
    return settings.default_learner()


def _say(e: Exception) -> None:
    print(f"error: {e}")


def open_deal(learner: str, n: int = 5) -> list[str]:
    """Your deal's ids (dealt now, as `just drill deal` does, if you have none yet)."""
    try:
        deal, new = drills.deal(learner, n)
    except (LearnerError, drill_pool.DrillError) as e:
        try:
            deal, new = drills.read_deal(learner), False  # dealt before with another size: that deal stands
        except (LearnerError, drill_pool.DrillError):
            _say(e)
            return []
    ids = drills.ids_of(deal)
    print(f"{'Dealt' if new else 'Your deal'} for {learner!r}: {', '.join(ids)} (dealt at {deal['dealt_at']}).")
    return ids


def trained(learner: str, drill_id: str):
    """The id's run and its healthy control, trained once per kernel (the break's run is never cached on disk)."""
    from minimodel.harness.verdict import run_break

    deal = drills.read_deal(learner)  # read each time: a deal dealt anew, or edited, is not the one trained
    brk = drills.break_of(deal, drill_id)
    key = (learner, drill_id, brk.slug)
    if key not in _runs:
        v = run_break(brk, seed=0, progress=settings.watched(), blind=drill_id)
        _runs[key] = (v.run, v.control)
    return _runs[key]


def data_sample(drill_id: str, run, rows: int = 3) -> None:
    """The first training rows as this run's pipeline builds them: inputs, and the targets the loss sees."""
    from minimodel.harness.runner import run_data
    from minimodel.seams import IGNORE_INDEX

    with run.installed():
        task, train_data, _, _ = run_data(run.recipe, run.seed)
        batch = train_data.fixed_batches(1)[0]
    tok = task.tokenizer
    print(f"Task: {task.description}; {run.recipe.batching} batching, block {run.recipe.block_size}, loss on "
          f"{run.recipe.loss_on} tokens. Targets the loss ignores are shown as '·'.")
    table = [[repr(tok.decode(batch.x[i].tolist())),
              repr("".join(tok.itos[t] if t != IGNORE_INDEX else "·" for t in batch.y[i].tolist()))]
             for i in range(min(rows, len(batch.x)))]
    t = Table([f"{drill_id} input", "targets in the loss"], table)
    show(t.html(), t.text())


def dashboard(learner: str, drill_id: str) -> None:
    """Data sample, loss with the entropy floor, attention, TF against AR, beside a competent healthy control."""
    try:
        run, control = trained(learner, drill_id)
    except (LearnerError, drill_pool.DrillError) as e:
        _say(e)
        return
    show_markdown(f"### {drill_id}\n\nHealthy control: AR exact match {control.metrics['ar']['exact_match']:.0%}, "
                  f"TF exact match {control.metrics['tf_exact_match']:.0%}.")
    data_sample(drill_id, run)
    panels.losses(drill_id, run, control)
    panels.attention(drill_id, run, control)
    panels.tf_ar(drill_id, run, control)


def detectors() -> list[str]:
    """The readouts you may request: every detector a break of the drill declares."""
    return drill_pool.detectors(drill_pool.pool())


def describe() -> None:
    """Each detector you may request, and what it measures."""
    t = Table(["detector", "what it measures"], [[n, DETECTORS[n].describe] for n in detectors()])
    show(t.html(), t.text())


def request(learner: str, drill_id: str, detector: str):
    """One detector's readout on this id and on the healthy control; logged with its time before it is shown."""
    try:
        if detector not in detectors():
            raise drill_pool.DrillError(f"unknown detector {detector!r}; request one of: {', '.join(detectors())}")
        run, control = trained(learner, drill_id)
        (found,), (base,) = drill_pool.readouts([detector], run.metrics, control.metrics)
        drills.log_request(learner, drill_id, found)
    except (LearnerError, drill_pool.DrillError) as e:
        _say(e)
        return None
    word = "ABNORMAL" if drill_pool.abnormal(found, base) else "normal"
    print(f"{drill_id} · {detector}: {_number(found.value)} (healthy control {_number(base.value)}, threshold "
          f"{found.threshold:g}): {word}. {DETECTORS[detector].describe}")
    return found


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def request_panel(learner: str, ids: list[str]) -> None:
    """A menu of ids and detectors and a Request button (JupyterLab); headless: nothing to click."""
    if headless():
        print("Running headless: in JupyterLab a menu and a Request button ask for readouts here.")
        return
    widgets.request_form(ids, detectors(), lambda drill_id, name: request(learner, drill_id, name))


def choices() -> list[str]:
    """What a diagnosis may name: each candidate change under its seam, or a seam alone."""
    return list(drill_pool.choices(drill_pool.pool()))


def evidence_options() -> list[str]:
    return list(drill_pool.PANELS) + detectors()


def diagnose(learner: str, ids: list[str]) -> None:
    """A form per id (the cause, the evidence, a confidence) with a Seal button; headless: a default diagnosis
    (the first seam, no evidence, confidence low) for each id that has none."""
    if not headless():
        def seal(drill_id: str, choice: str, evidence: list[str], confidence: str) -> str:
            try:
                d = drills.seal_diagnosis(learner, drill_id, choice, evidence, confidence)
            except (LearnerError, drill_pool.DrillError) as e:
                return f"Not sealed: {e}"
            late = " (after the reveal: flagged)" if d["after_reveal"] else ""
            return f"Sealed {drill_id} at {d['sealed_at']}{late}"

        widgets.diagnosis_form(ids, choices(), evidence_options(), CONFIDENCE, seal)
        return
    try:
        done = {d.get("id") for d in drills.diagnoses(learner) if isinstance(d, dict)}
        seam = next(c for c in choices() if ":" not in c)
        for drill_id in ids:
            if drill_id not in done:
                drills.seal_diagnosis(learner, drill_id, seam, [], "low")
    except (LearnerError, drill_pool.DrillError) as e:
        _say(e)
        return
    print(f"Running headless: sealed a default diagnosis ({seam!r}, no evidence, confidence low) for each id "
          "without one.")


def reveal(learner: str, confirm: bool = False) -> None:
    """The truth behind each id, beside your diagnosis; recorded, so a later seal is flagged. Asks first."""
    from minimodel.classroom.drill_grade import reveal_table

    if not confirm:
        print("The reveal is recorded: a diagnosis sealed after it is flagged. When every id is sealed, run "
              "`drill.reveal(LEARNER, confirm=True)` or `just drill reveal --learner NAME`.")
        return
    try:
        t = reveal_table(learner)
    except (LearnerError, drill_pool.DrillError) as e:
        _say(e)
        return
    show(t.html(), t.text())
    print("Open each break's notebook (notebooks/<bNN_slug>.ipynb) to fix it.")
