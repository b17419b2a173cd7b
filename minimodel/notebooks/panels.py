"""The inspect panels a run is read through, beside its healthy control: losses, attention, TF against AR.

Both the break notebooks (minimodel.lab, labelled with the break's tag) and the blind drill (minimodel.drill,
labelled with an opaque id) draw them; `run` and `control` are runs of the harness (metrics, losses, model).
"""
from __future__ import annotations

from minimodel.notebooks import widgets
from minimodel.notebooks.display import Table, headless, show, show_figure


def losses(label: str, run, control) -> None:
    """Training loss of the run and the healthy control, with the entropy floor drawn."""
    from minimodel.plots import loss_figure

    m = run.metrics
    floor = m["entropy_floor"]
    show_figure(loss_figure({label: run.train_losses, "healthy control": control.train_losses}, floor,
                            m["ln_vocab"], f"{label}: training loss"))
    if floor:
        why = f"entropy floor {floor:.3f}: no model that reads only the past can go below it."
    elif run.recipe.loss_on == "answer":
        why = "entropy floor 0: the loss is on answer tokens only, which the prompt fully determines."
    else:
        why = "entropy floor 0: nothing in this text is random, so a model can learn every token."
    print(f"{why} Held-out loss: {m['tf']['loss']:.3f} for {label}, {control.metrics['tf']['loss']:.3f} healthy.")


def attention_figure(label: str, run, control, index: int = 0, layer: int | None = None, head: int | None = None):
    """The run (left) and healthy (right): layers × heads heatmaps, token labels on both axes, scale 0..1."""
    from minimodel.plots import attention_figure as draw, example_attention

    with run.installed():
        broken = example_attention(run.model, run.task, run.recipe.batching, index)
    healthy = example_attention(control.model, control.task, control.recipe.batching, index)
    return draw({label: broken, "healthy control": healthy}, layer, head)


def attention(label: str, run, control, index: int = 0) -> None:
    """The heatmap grids side by side, with pickers for the prompt, the layer and the head."""
    print("Each square: how much the query (row) attends to the key (column). A model that only "
          "reads the past leaves everything above the diagonal dark.")
    if headless():
        show_figure(attention_figure(label, run, control, index))
        return
    prompts = [f"{ex.prompt}={ex.answer}" for ex in run.task.val[:12]]
    widgets.attention_pickers(prompts, run.model.cfg.n_layer, run.model.cfg.n_head,
                              lambda i, layer, head: attention_figure(label, run, control, i, layer, head), index)


def tf_ar(label: str, run, control) -> None:
    """Teacher-forced against autoregressive, for both runs, and a few AR samples beside their targets."""
    rows = [[name, f"{m['tf']['loss']:.3f}", f"{m['tf'].get('answer', float('nan')):.3f}", f"{m['tf_exact_match']:.0%}",
             f"{m['ar']['exact_match']:.0%}", f"{m['ar']['malformed_share']:.0%}"]
            for name, m in ((label, run.metrics), ("healthy control", control.metrics))]
    t = Table(["run", "TF loss", "TF answer loss", "TF exact match", "AR exact match", "AR malformed"], rows)
    show(t.html(), t.text())
    samples = zip(run.metrics["ar"]["samples"], control.metrics["ar"]["samples"])
    t = Table(["prompt", "target", f"{label} generated", "exact", "healthy generated"],
              [[s["prompt"], s["target"], repr(s["generated"]), "yes" if s["exact"] else "no", repr(c["generated"])]
               for s, c in samples])
    show(t.html(), t.text())
