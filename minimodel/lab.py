"""The notebook facade: the only module a break notebook imports (setup, predict, run, inspect, fix, reveal)."""
from __future__ import annotations

import ast
import html
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import torch

from minimodel import seams, settings
from minimodel.classroom import predictions
from minimodel.catalogue import Break, find_break
from minimodel.detectors import DETECTORS, Finding, detect

STUB = 'raise NotImplementedError("write the fix")'
_REPO = Path(__file__).resolve().parent.parent
_state: dict = {}  # the last run: {"brk", "learner", "outcome"}


# --------------------------------------------------------------------------------------------
# Display: HTML and widgets in JupyterLab, plain text when headless (nbval, CI, a script)


def headless() -> bool:
    """True when nobody can click: MINIMODEL_HEADLESS=1 (set by `just nbval`), no notebook kernel, no ipywidgets."""
    if settings.headless_forced():
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return True
    try:
        import ipywidgets  # noqa: F401
    except ImportError:  # widgets degrade to printed text
        return True
    return False


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _show(html_text: str, text: str) -> None:
    """Rich HTML inside a notebook (headless or not), plain text anywhere else."""
    if _in_kernel():
        from IPython.display import HTML, display
        display(HTML(html_text))
    else:
        print(text)


def _markdown(md: str) -> None:
    if _in_kernel():
        from IPython.display import Markdown, display
        display(Markdown(md))
    else:
        print(md)


def _figure(fig) -> None:
    import matplotlib.pyplot as plt

    if _in_kernel():
        from IPython.display import display
        display(fig)
    plt.close(fig)


def _table(header: list[str], rows: list[list]) -> tuple[str, str]:
    """The same table as HTML and as aligned text."""
    esc = [[html.escape(str(c)) for c in r] for r in rows]
    h = "<table><thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in header) + "</tr></thead><tbody>"
    h += "".join("<tr>" + "".join(f"<td style='text-align:left'><code>{c}</code></td>" for c in r) + "</tr>"
                 for r in esc) + "</tbody></table>"
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [header, *rows]]
    return h, "\n".join(lines)


def _kernel_setup() -> None:
    """Inside a notebook kernel: one deliberate thread count, and runs/ and learners/ at the repository root
    (a notebook's working folder is notebooks/, where relative defaults would scatter files)."""
    if not _in_kernel():
        return
    torch.set_num_threads(settings.threads())
    if (_REPO / "breaks").is_dir() and (_REPO / "pyproject.toml").exists():
        settings.use_repository_folders(_REPO)


_kernel_setup()


def default_learner() -> str:
    """The learner's name: MINIMODEL_LEARNER if set, else 'learner'."""
    return settings.default_learner()


def _break(tag: str | Break) -> Break:
    return tag if isinstance(tag, Break) else find_break(tag)


def expectation(brk: Break) -> str:
    """'symptom' (fires under the break), 'no-effect' (stays quiet) or 'sanity' (the first exercise)."""
    return getattr(brk, "expect", "symptom")


# --------------------------------------------------------------------------------------------
# 1. Setup


def setup(tag: str) -> None:
    """What the task and the model are: two sentences and one table, no hint of the cause."""
    from minimodel.data import encode_example
    from minimodel.model import preset
    from minimodel.harness.verdict import recipe_for

    brk = _break(tag)
    recipe = recipe_for(brk)
    task = recipe.make_task(0)
    tok = task.tokenizer
    cfg = preset(recipe.model, vocab_size=tok.vocab_size, block_size=recipe.block_size)
    batching = ("one padded example per row" if recipe.batching == "rows"
                else f"examples packed into one stream, cut into blocks of {recipe.block_size} tokens")
    loss_on = "answer tokens only" if recipe.loss_on == "answer" else "every token of the stream"
    vocab = " ".join(f"`{t!r}`" if t.strip() != t or not t else f"`{t}`" for t in tok.itos)
    samples = "<br>".join(f"`{tok.decode(encode_example(task, ex)[0])!r}`" for ex in task.train[:3])
    _markdown(
        f"**Task.** {task.description}. A GPT with {cfg.n_layer} layer(s), {cfg.n_head} heads and "
        f"{cfg.n_embd}-dimensional embeddings learns it from {len(task.train):,} examples "
        f"({len(task.val):,} held out), {batching}, with the loss on {loss_on}.\n\n"
        f"**This notebook** trains that model with the break `{brk.tag}` switched on, and beside it a "
        f"healthy control (same data, seed and steps), for {recipe.steps} steps each."
        + (f" **Stopped early on purpose:** {brk.half_trained}" if brk.half_trained else "") + "\n\n"
        "| | |\n|---|---|\n"
        f"| model | `{recipe.model}`: {cfg.n_layer} layers × {cfg.n_head} heads, d={cfg.n_embd}, "
        f"block {recipe.block_size} |\n"
        f"| training | {recipe.steps} steps, batch {recipe.batch_size}, lr {recipe.lr:g} (warm-up, cosine) |\n"
        f"| vocabulary ({tok.vocab_size}) | {vocab} |\n"
        f"| data sample | {samples} |\n")


# --------------------------------------------------------------------------------------------
# 2. Predict


def _default_answers(brk: Break) -> dict:
    return {q.id: q.default if q.kind != "text" or q.default else "(no explanation: the notebook ran headless)"
            for q in brk.questions}


def predict(tag: str, learner: str) -> None:
    """Widgets for the break's questions and a Save button that seals them; headless: seal the defaults."""
    brk = _break(tag)
    predictions.check_learner(learner)
    sealed = predictions.current(learner, brk)
    if headless():
        answers = sealed["answers"] if sealed else _default_answers(brk)
        version = predictions.seal(learner, brk, answers)
        source = "your sealed answers" if sealed else "the default answers (headless: nobody can type)"
        print(f"Running headless: using {source}.")
        for q in brk.questions:
            print(f"  {q.id}: {version['answers'][q.id]!r}")
        print(f"Sealed for {learner!r} at {version['sealed_at']} ({version['digest'][:19]}...).")
        return
    _prediction_form(brk, learner, sealed)


def _prediction_form(brk: Break, learner: str, sealed: dict | None) -> None:
    import ipywidgets as w
    from IPython.display import display

    before = sealed["answers"] if sealed else {}
    inputs, rows = {}, []
    style = {"description_width": "initial"}
    for q in brk.questions:
        label = w.HTML(f"<b>{html.escape(q.text)}</b>")
        if q.kind == "choice":
            box = w.RadioButtons(options=list(q.options), value=before.get(q.id), layout={"width": "max-content"})
        elif q.kind == "number":
            box = w.FloatText(value=float(before.get(q.id, 0)), description=f"your estimate (± {q.tolerance:g}):",
                              style=style)
        else:
            box = w.Textarea(value=before.get(q.id, ""), placeholder="your explanation",
                             layout={"width": "90%", "height": "5em"})
        inputs[q.id] = box
        rows.append(w.VBox([label, box]))
    button = w.Button(description="Save my prediction", button_style="primary", icon="lock")
    status = w.Output()

    def save(_):
        status.clear_output()
        with status:
            answers = {qid: box.value for qid, box in inputs.items()}
            missing = [qid for qid, v in answers.items() if v is None]
            if missing:
                print(f"Answer every question first (missing: {', '.join(missing)}).")
                return
            try:
                v = predictions.seal(learner, brk, answers)
            except predictions.PredictionError as e:
                print(f"Not saved: {e}")
                return
            print(f"Sealed as revision {v.get('revision', 1)} for {learner!r} at {v['sealed_at']}. "
                  "Now run the next cell.")

    button.on_click(save)
    if sealed:
        with status:
            print(f"You sealed a prediction at {sealed['sealed_at']}; saving again adds a revision (both are kept).")
    form = w.VBox(rows + [button, status])
    _state["predict_form"] = (inputs, button, status)  # for a scripted check of the Save button
    display(form)


# --------------------------------------------------------------------------------------------
# 3. Run


def run(tag: str, learner: str):
    """Train the broken model and its healthy control (progress bars); keep both for inspection."""
    from minimodel.harness.experiments import train_mini

    brk = _break(tag)
    predictions.check_learner(learner)
    if predictions.current(learner, brk) is None:
        print("No prediction sealed yet: this run is recorded as started before any prediction.")
    outcome = train_mini(brk.tag, echo=print, learner=learner)
    _state.update(brk=brk, learner=learner, outcome=outcome)
    run_, control = outcome.run, outcome.control
    print(f"done in {run_.seconds + control.seconds:.1f} s; files in {outcome.folder}")
    return outcome


def _last():
    if "outcome" not in _state:
        raise RuntimeError("nothing has run yet: run the cell with lab.run(TAG, LEARNER) first")
    return _state["brk"], _state["outcome"].run, _state["outcome"].control


# --------------------------------------------------------------------------------------------
# 4. Inspect


def show_losses() -> None:
    """Training loss of the break and the healthy control, with the entropy floor drawn."""
    from minimodel.plots import loss_figure

    brk, run_, control = _last()
    m = run_.metrics
    floor = m["entropy_floor"]
    _figure(loss_figure({brk.tag: run_.train_losses, "healthy control": control.train_losses}, floor,
                        m["ln_vocab"], f"{brk.tag}: training loss"))
    if floor:
        why = f"entropy floor {floor:.3f}: no model that reads only the past can go below it."
    elif run_.recipe.loss_on == "answer":
        why = "entropy floor 0: the loss is on answer tokens only, which the prompt fully determines."
    else:
        why = "entropy floor 0: nothing in this text is random, so a model can learn every token."
    print(f"{why} Held-out loss: {m['tf']['loss']:.3f} with the break, {control.metrics['tf']['loss']:.3f} healthy.")


def _example_ids(run_, index: int) -> list[int]:
    from minimodel.evaluate import _split, prompt_prefix

    task = run_.task
    prompt, answer = _split(task, task.val[index], prompt_prefix(task, run_.recipe.batching))
    return prompt + answer


def attention_weights(run_, index: int = 0) -> tuple[list[torch.Tensor], list[str]]:
    """One held-out example's attention, per layer (1, nh, T, T), with its token labels."""
    from minimodel.probes import record_attention

    ids = _example_ids(run_, index)
    with run_.installed(), record_attention(run_.model) as weights, torch.no_grad():
        run_.model(torch.tensor([ids[-run_.model.cfg.block_size:]]))
    labels = [run_.task.tokenizer.itos[i].replace("\n", "\\n") for i in ids[-run_.model.cfg.block_size:]]
    return weights, labels


def attention_figure(index: int = 0, layer: int | None = None, head: int | None = None):
    """Broken (left) and healthy (right): layers × heads heatmaps, token labels on both axes, scale 0..1."""
    import matplotlib.pyplot as plt

    brk, run_, control = _last()
    panels = [(brk.tag, *attention_weights(run_, index)), ("healthy control", *attention_weights(control, index))]
    n_layer, n_head = len(panels[0][1]), panels[0][1][0].shape[1]
    layers = range(n_layer) if layer is None else [layer]
    heads = range(n_head) if head is None else [head]
    T = len(panels[0][2])
    cell = min(0.9 + 0.17 * T, 8.0 / len(heads))  # at most ~18 inches wide: pick one head to zoom in
    fig = plt.figure(figsize=(2 * cell * len(heads) + 1.2, cell * len(layers) + 0.8), layout="constrained")
    image = None
    for sub, (title, weights, labels) in zip(fig.subfigures(1, 2), panels):
        axes = sub.subplots(len(layers), len(heads), squeeze=False)
        for r, li in enumerate(layers):
            for c, hi in enumerate(heads):
                ax = axes[r][c]
                image = ax.imshow(weights[li][0, hi].numpy(), vmin=0.0, vmax=1.0, cmap="viridis")
                ax.set_xticks(range(T), labels, fontsize=6, rotation=90)
                ax.set_yticks(range(T), labels, fontsize=6)
                ax.set_title(f"layer {li} head {hi}", fontsize=7)
                if r == len(layers) - 1:
                    ax.set_xlabel("key (attended to)", fontsize=7)
                if c == 0:
                    ax.set_ylabel("query", fontsize=7)
        sub.suptitle(title, fontsize=10)
    sub.colorbar(image, ax=axes, shrink=0.6, label="attention weight (0 to 1 on both sides)")
    return fig


def show_attention(index: int = 0) -> None:
    """The heatmap grids side by side, with pickers for the prompt, the layer and the head."""
    brk, run_, _ = _last()
    print("Each square: how much the query (row) attends to the key (column). A model that only "
          "reads the past leaves everything above the diagonal dark.")
    if headless():
        _figure(attention_figure(index))
        return
    import ipywidgets as w
    from IPython.display import display

    n_layer, n_head = run_.model.cfg.n_layer, run_.model.cfg.n_head
    val = run_.task.val
    prompt = w.Dropdown(options=[(f"{ex.prompt}={ex.answer}", i) for i, ex in enumerate(val[:12])], value=index,
                        description="prompt")
    layer = w.Dropdown(options=[("all", None)] + [(str(i), i) for i in range(n_layer)], description="layer")
    head = w.Dropdown(options=[("all", None)] + [(str(i), i) for i in range(n_head)], description="head")
    out = w.Output()

    def draw(_=None):
        out.clear_output(wait=True)
        with out:
            _figure(attention_figure(prompt.value, layer.value, head.value))

    for picker in (prompt, layer, head):
        picker.observe(draw, names="value")
    display(w.VBox([w.HBox([prompt, layer, head]), out]))
    draw()


def tf_ar_table() -> None:
    """Teacher-forced against autoregressive, for both runs, and a few AR samples beside their targets."""
    brk, run_, control = _last()
    header = ["run", "TF loss", "TF answer loss", "TF exact match", "AR exact match", "AR malformed"]
    rows = []
    for name, m in ((brk.tag, run_.metrics), ("healthy control", control.metrics)):
        rows.append([name, f"{m['tf']['loss']:.3f}", f"{m['tf'].get('answer', float('nan')):.3f}",
                     f"{m['tf_exact_match']:.0%}", f"{m['ar']['exact_match']:.0%}",
                     f"{m['ar']['malformed_share']:.0%}"])
    _show(*_table(header, rows))
    samples = zip(run_.metrics["ar"]["samples"], control.metrics["ar"]["samples"])
    srows = [[s["prompt"], s["target"], repr(s["generated"]), "yes" if s["exact"] else "no", repr(c["generated"])]
             for s, c in samples]
    _show(*_table(["prompt", "target", f"{brk.tag} generated", "exact", "healthy generated"], srows))


def _findings_by_name(brk: Break, metrics: dict, control: dict) -> dict[str, Finding]:
    """Every detector that can read these metrics (a task may lack what another task's detector needs)."""
    out = {}
    for name in DETECTORS:
        try:
            (out[name],) = detect([name], metrics, control, brk.thresholds)
        except (KeyError, TypeError, ZeroDivisionError, ValueError):
            continue
    return out


def _checks(brk: Break) -> list[str]:
    """A break's checks: detectors that must stay quiet under the break and with the fix (sanity exercises)."""
    return list(getattr(brk, "check_detectors", []))


def findings() -> None:
    """The detectors' findings in plain words: the break's own symptoms first, then anything else that fired."""
    brk, run_, control = _last()
    now_ = _findings_by_name(brk, run_.metrics, control.metrics)
    base = _findings_by_name(brk, control.metrics, control.metrics)
    declared, checks = brk.detectors, _checks(brk)
    extra = [n for n in now_ if n not in declared + checks and now_[n].fired and not base[n].fired]
    rows = []
    for name in [n for n in declared + checks + extra if n in now_]:
        f, c = now_[name], base.get(name)
        kind = "check" if name in checks else "symptom" if name in declared else "also fired"
        rows.append([name, kind, "FIRED" if f.fired else "quiet", "FIRED" if c and c.fired else "quiet", f.summary])
    _show(*_table(["detector", "role", brk.tag, "healthy control", "what was measured"], rows))
    fired = [n for n in declared if n in now_ and now_[n].fired]
    failed = [n for n in checks if n in now_ and now_[n].fired]
    if checks:
        print("The machinery works: every check stays quiet." if not failed
              else f"A check failed: {', '.join(failed)}. Something is wrong with the machinery itself.")
    if expectation(brk) == "no-effect":
        verdict = ("The detectors stay quiet: this change did not hurt the model, whatever the tutorials say."
                   if not fired else f"Unexpected: {', '.join(fired)} fired.")
    elif fired:
        verdict = f"{len(fired)} of the break's {len(declared)} detectors fired: {', '.join(fired)}."
    else:
        verdict = "None of the break's detectors fired in this run."
    print(verdict)
    note = heatmap_note(now_, declared)
    if note:
        print(note)


def heatmap_note(by_name: dict[str, Finding], declared: list[str]) -> str | None:
    """When the heatmap looks causal but the leak test (or the floor, for a break that leaks) caught a leak."""
    caught = [label for name, label in (("loss_below_floor", "the entropy floor"), ("leak_test", "the leak test"))
              if name in by_name and by_name[name].fired and (name == "leak_test" or name in declared)]
    if "future_attention" not in by_name or by_name["future_attention"].fired or not caught:
        return None
    return ("Note: the heatmap alone did not reveal the leak (no visible attention above the diagonal); "
            f"{' and '.join(caught)} did.")


# --------------------------------------------------------------------------------------------
# 5. Compare with your prediction


def observed_answers(brk: Break, metrics: dict, control: dict) -> dict:
    """Each non-text question's answer as the run showed it, decided by the detectors and metrics."""
    by_name = _findings_by_name(brk, metrics, control)
    return {q.id: q.observe(metrics, by_name) for q in brk.questions if q.observe is not None}


def compare_prediction() -> None:
    """Each question: what the learner predicted and what the run showed."""
    brk, run_, control = _last()
    sealed = predictions.current(_state["learner"], brk)
    answers = sealed["answers"] if sealed else {}
    observed = observed_answers(brk, run_.metrics, control.metrics)
    rows = []
    for q in brk.questions:
        said = answers.get(q.id, "(not sealed)")
        if q.kind == "text":
            rows.append([q.id, said, "compare with the reveal at the end", ""])
            continue
        got = observed[q.id]
        if q.kind == "number":
            ok = isinstance(said, (int, float)) and abs(float(said) - got) <= q.tolerance
            shown = f"{got:.3g}"
        else:
            ok, shown = said == got, got
        rows.append([q.id, said, shown, "right" if ok else "wrong"])
    _show(*_table(["question", "you predicted", "the run showed", ""], rows))
    if not sealed:
        print("You sealed no prediction for this break; the questions above are still worth answering.")


# --------------------------------------------------------------------------------------------
# 6. Diagnose


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
        predictions.record_hint(self.learner, self.brk, level)
        self.shown.append(self.brk.hints[level - 1])
        return self.shown[-1]


def hints(tag: str, learner: str) -> HintCascade:
    """A button that reveals the next hint (vague first, then specific); headless reveals nothing."""
    brk = _break(tag)
    cascade = HintCascade(brk, predictions.check_learner(learner))
    levels = {e.get("level", 0) for e in predictions.hints(learner, brk)}
    cascade.shown = [brk.hints[i] for i in range(len(brk.hints)) if i + 1 in levels and all(
        j + 1 in levels for j in range(i))]  # the levels already revealed, in order
    n = len(brk.hints)
    if headless():
        print(f"Running headless: the {n} hints stay hidden ({len(cascade.shown)} revealed earlier). "
              "In JupyterLab a button reveals them one at a time.")
        return cascade
    import ipywidgets as w
    from IPython.display import display

    out = w.Output()
    button = w.Button(description="", icon="lightbulb-o")

    def label():
        k = len(cascade.shown)
        button.description = f"Show hint {k + 1} of {n}" if k < n else "No more hints"
        button.disabled = k >= n

    def show(text: str, level: int):
        with out:
            _markdown(f"**Hint {level}.** {text}")

    for i, text in enumerate(cascade.shown, 1):
        show(text, i)

    def click(_):
        text = cascade.reveal_next()
        if text is not None:
            show(text, len(cascade.shown))
        label()

    button.on_click(click)
    label()
    cascade.button = button
    display(w.VBox([out, button]))
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


def _unattempted(fn: Callable) -> bool:
    try:
        return STUB in inspect.getsource(fn)
    except (OSError, TypeError):
        return False


def verify_fix(tag: str, fix: Callable | Mapping[str, Callable]) -> FixReport:
    """Train with your function(s) in place of the broken seam(s) and read the break's detectors again."""
    from minimodel.harness.verdict import fix_map, run_break

    brk = _break(tag)
    try:
        fixes = fix_map(brk, fix)
        for name, fn in fixes.items():
            seams.check_replacement(name, fn)
    except seams.SeamError as e:
        return _report(FixReport(False, f"not fixed yet: {e}"))
    if any(_unattempted(fn) for fn in fixes.values()):
        return _report(FixReport(False, "not fixed yet: the function still raises NotImplementedError; "
                                        "write its body and run the cell again"))
    try:
        v = run_break(brk, fix=fixes, progress=True)
    except Exception as e:  # the learner's code: any error means "not fixed", never a crashed notebook
        return _report(FixReport(False, f"not fixed yet: your function raised {type(e).__name__}: {e}"))
    checks = detect(_checks(brk), v.run.metrics, v.control.metrics, brk.thresholds)
    still = v.fired + [f.name for f in checks if f.fired]
    print(v.table())
    if expectation(brk) == "no-effect":
        ok_text = "the detectors stay quiet and the model stays as healthy as the control"
    else:
        ok_text = "the symptom is gone: none of the break's detectors fires"
    if not still:
        return _report(FixReport(True, f"FIXED: {ok_text}.", [], v))
    return _report(FixReport(False, f"not fixed yet: still firing: {', '.join(still)}", still, v))


def _report(r: FixReport) -> FixReport:
    print(r.message)
    return r


# --------------------------------------------------------------------------------------------
# 8. Reveal


def reveal(tag: str) -> None:
    """The hidden cause, the fix as a diff, why it teaches, where the bug was seen in real code."""
    brk = _break(tag)
    _markdown(f"**The cause.** {brk.cause}\n\n**The fix** (the broken seam against the healthy one):\n\n"
              f"```diff\n{brk.fix_diff()}```\n\n**Why it teaches.** {brk.why}\n\n**Seen in the wild.** {brk.seen_in}\n")


# --------------------------------------------------------------------------------------------
# Source for the generated fix cells (used by minimodel.notebooks.generate)


def _seam_source(name: str) -> str:
    src = inspect.getsource(seams.REGISTRY[name].healthy)
    return "\n".join(line for line in src.splitlines() if not line.startswith("@")) + "\n"


def fix_imports(names: list[str]) -> list[str]:
    """The import lines the healthy source of these seams needs (torch, F, math, IGNORE_INDEX, ...)."""
    import builtins
    import types

    used: set[str] = set()
    for name in names:
        used |= {n.id for n in ast.walk(ast.parse(_seam_source(name))) if isinstance(n, ast.Name)}
    lines = []
    for n in sorted(used):
        obj = vars(seams).get(n)
        if isinstance(obj, types.ModuleType):
            lines.append(f"import {obj.__name__}" if obj.__name__ == n else f"import {obj.__name__} as {n}")
        elif obj is not None and not isinstance(obj, seams.Seam) and n not in vars(builtins):
            lines.append(f"from minimodel.seams import {n}")
    return sorted(set(lines), key=lambda s: (s.startswith("from"), s))


def healthy_source(name: str) -> str:
    """The seam's healthy function as written in minimodel/seams.py, without the decorator."""
    return _seam_source(name)


def stub_source(name: str) -> str:
    """The seam's signature and the first line of its docstring, with an unfinished body."""
    src = _seam_source(name)
    fn = ast.parse(src).body[0]
    lines = src.splitlines()
    indent = " " * fn.body[0].col_offset
    first = lines[fn.body[0].lineno - 1].rstrip()  # the docstring's first line, as written
    body = [first if first.endswith('"""') else first + '"""'] if ast.get_docstring(fn) else []
    return "\n".join(lines[:fn.body[0].lineno - 1] + body + [f"{indent}{STUB}"]) + "\n"
