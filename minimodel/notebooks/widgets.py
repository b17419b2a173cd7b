"""The notebook's widgets, for JupyterLab (headless runs never build them): prediction form, hint button, pickers.

They only draw and call back: sealing, recording and drawing are the callers' (minimodel.lab's).
"""
from __future__ import annotations

import html
from collections.abc import Callable

from minimodel.notebooks.display import show_figure, show_markdown


def prediction_call(questions, confidence: tuple[str, ...]) -> None:
    """The prediction form's twin for a front end without widgets: each question as text, and the call that
    seals the answers from a cell, to edit and run."""
    print("No widgets in this front end: answer in code. Each question, then its options:")
    for q in questions:
        kind = {"choice": f"options: {' | '.join(q.options)}", "number": "a number", "text": "free text"}[q.kind]
        print(f"  {q.id}: {q.text}  ({kind})")
    answers = ", ".join(f"{q.id!r}: {q.default or '...'!r}" for q in questions)
    sure = ", ".join(f"{q.id!r}: 'low'" for q in questions)
    print(f"Edit the answers and confidences ({', '.join(confidence)}), then run:\n"
          f"lab.predict(TAG, LEARNER, answers={{{answers}}},\n            confidence={{{sure}}})")


def prediction_form(questions, before: dict, on_save: Callable[[dict, dict], str], note: str = "",
                    confidence: tuple[str, ...] = (), before_confidence: dict | None = None) -> None:
    """One widget per question, each with a confidence, and a Save button; `on_save(answers, confidence)`
    seals them and returns what to print."""
    import ipywidgets as w
    from IPython.display import display

    inputs, sure, rows = {}, {}, []
    for q in questions:
        label = w.HTML(f"<b>{html.escape(q.text)}</b>")
        if q.kind == "choice":
            box = w.RadioButtons(options=list(q.options), value=before.get(q.id), layout={"width": "max-content"})
        elif q.kind == "number":
            box = w.FloatText(value=float(before.get(q.id, 0)), description=f"your estimate (± {q.tolerance:g}):",
                              style={"description_width": "initial"})
        else:
            box = w.Textarea(value=before.get(q.id, ""), placeholder="your explanation",
                             layout={"width": "90%", "height": "5em"})
        sure[q.id] = w.ToggleButtons(options=list(confidence), value=(before_confidence or {}).get(q.id),
                                     description="how sure?", style={"button_width": "6em"})
        inputs[q.id] = box
        rows.append(w.VBox([label, box, sure[q.id]]))
    button = w.Button(description="Save my prediction", button_style="primary", icon="lock")
    status = w.Output()

    def save(_):
        status.clear_output()
        with status:
            answers = {qid: box.value for qid, box in inputs.items()}
            levels = {qid: box.value for qid, box in sure.items()}
            missing = [qid for qid, v in answers.items() if v is None]
            unsure = [qid for qid, v in levels.items() if v is None]
            if missing or unsure:
                print(f"Answer every question first (missing: {', '.join(missing)})." if missing else
                      f"Say how sure you are of every answer (missing: {', '.join(unsure)}).")
            else:
                print(on_save(answers, levels))

    button.on_click(save)
    if note:
        with status:
            print(note)
    display(w.VBox(rows + [button, status]))


def text_form(before: str, placeholder: str, label: str, on_save: Callable[[str], str]) -> None:
    """A text box and a Save button; `on_save(text)` seals it and returns what to print."""
    import ipywidgets as w
    from IPython.display import display

    box = w.Textarea(value=before, placeholder=placeholder, layout={"width": "90%", "height": "8em"})
    button = w.Button(description=label, button_style="primary", icon="lock")
    status = w.Output()

    def save(_):
        status.clear_output()
        with status:
            print(on_save(box.value))

    button.on_click(save)
    display(w.VBox([box, button, status]))


def hint_button(shown: list[str], total: int, reveal_next: Callable[[], str | None]):
    """The hints revealed so far, and a button that reveals the next one per click; returns the button."""
    import ipywidgets as w
    from IPython.display import display

    out = w.Output()
    button = w.Button(description="", icon="lightbulb-o")

    def label():
        k = len(shown)
        button.description = f"Show hint {k + 1} of {total}" if k < total else "No more hints"
        button.disabled = k >= total

    def show(text: str, level: int):
        with out:
            show_markdown(f"**Hint {level}.** {text}")

    for i, text in enumerate(shown, 1):
        show(text, i)

    def click(_):
        text = reveal_next()
        if text is not None:
            show(text, len(shown))
        label()

    button.on_click(click)
    label()
    display(w.VBox([out, button]))
    return button


def attention_pickers(prompts: list[str], n_layer: int, n_head: int, figure: Callable, index: int = 0) -> None:
    """Menus for the prompt, the layer and the head; `figure(index, layer, head)` draws what they pick."""
    import ipywidgets as w
    from IPython.display import display

    prompt = w.Dropdown(options=[(p, i) for i, p in enumerate(prompts)], value=index, description="prompt")
    layer = w.Dropdown(options=[("all", None)] + [(str(i), i) for i in range(n_layer)], description="layer")
    head = w.Dropdown(options=[("all", None)] + [(str(i), i) for i in range(n_head)], description="head")
    out = w.Output()

    def draw(_=None):
        out.clear_output(wait=True)
        with out:
            show_figure(figure(prompt.value, layer.value, head.value))

    for picker in (prompt, layer, head):
        picker.observe(draw, names="value")
    display(w.VBox([w.HBox([prompt, layer, head]), out]))
    draw()


def request_form(ids: list[str], detectors: list[str], on_request: Callable[[str, str], object]) -> None:
    """Menus for the id and the detector, and a Request button that calls `on_request(id, detector)`."""
    import ipywidgets as w
    from IPython.display import display

    which = w.Dropdown(options=ids, description="id")
    detector = w.Dropdown(options=detectors, description="detector")
    button = w.Button(description="Request", icon="search")
    out = w.Output()

    def click(_):
        with out:
            on_request(which.value, detector.value)

    button.on_click(click)
    display(w.VBox([w.HBox([which, detector, button]), out]))


def diagnosis_form(ids: list[str], choices: list[str], evidence: list[str], confidence: tuple[str, ...],
                   on_seal: Callable[[str, str, list[str], str], str]) -> None:
    """Per id: the cause (a menu), the evidence (several), a confidence, and a Seal button."""
    import ipywidgets as w
    from IPython.display import display

    rows = []
    for drill_id in ids:
        cause = w.Dropdown(options=choices, value=None, description="cause", layout={"width": "95%"})
        cited = w.SelectMultiple(options=evidence, description="evidence", rows=6)
        sure = w.ToggleButtons(options=list(confidence), value=None, description="how sure?",
                               style={"button_width": "6em"})
        button = w.Button(description=f"Seal {drill_id}", button_style="primary", icon="lock")
        status = w.Output()

        def seal(_, drill_id=drill_id, cause=cause, cited=cited, sure=sure, status=status):
            status.clear_output()
            with status:
                if cause.value is None or sure.value is None:
                    print("Choose a cause and say how sure you are first.")
                else:
                    print(on_seal(drill_id, cause.value, list(cited.value), sure.value))

        button.on_click(seal)
        rows.append(w.VBox([w.HTML(f"<b>{html.escape(drill_id)}</b>"), cause, cited, sure, button, status]))
    display(w.VBox(rows))
