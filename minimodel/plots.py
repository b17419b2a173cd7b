"""Static figures: loss curves against the entropy floor, and layers x heads attention grids of one example."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from minimodel.evaluate import prompt_and_answer, prompt_prefix
from minimodel.probes import record_attention
from minimodel.tasks import Task


def smooth(values: list[float], window: int = 10) -> list[float]:
    out, acc = [], 0.0
    for i, v in enumerate(values):
        acc += v
        if i >= window:
            acc -= values[i - window]
        out.append(acc / min(i + 1, window))
    return out


def loss_figure(curves: dict[str, list[float]], floor: float | None, ln_vocab: float | None = None,
                title: str = "training loss"):
    """Loss per step for each named run, with the entropy floor (and ln V) drawn as lines."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, losses in curves.items():
        ax.plot(smooth(losses), label=label, linewidth=1.5)
    if floor:
        ax.axhline(floor, color="black", linestyle="--", linewidth=1,
                   label=f"entropy floor {floor:.3f} (no causal model goes below)")
        ax.axhline(floor / 2, color="grey", linestyle=":", linewidth=1, label="half the floor")
    if ln_vocab:
        ax.axhline(ln_vocab, color="tab:red", linestyle=":", linewidth=1, label=f"ln V = {ln_vocab:.2f} (chance)")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats per supervised token)")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def example_attention(model, task: Task, batching: str, index: int = 0) -> tuple[list[torch.Tensor], list[str]]:
    """One held-out example's attention, per layer (1, nh, T, T), and its tokens as labels."""
    prompt, answer = prompt_and_answer(task, task.val[index], prompt_prefix(task, batching))
    ids = (prompt + answer)[-model.cfg.block_size:]  # a memorised text fills the whole block after BOS
    with record_attention(model) as weights, torch.no_grad():
        model(torch.tensor([ids]))
    return weights, [task.tokenizer.itos[i].replace("\n", "\\n") for i in ids]


def attention_figure(panels: dict[str, tuple[list[torch.Tensor], list[str]]], layer: int | None = None,
                     head: int | None = None):
    """Heatmaps of each named run side by side: one per layer (rows) and head (columns), queries down,
    keys across, tokens on both axes. The colour scale is fixed to 0..1 so runs compare square by square.

    The axes are placed by hand, in inches: a layout engine would cost about half a second per figure,
    which every verdict pays twice."""
    first, _ = next(iter(panels.values()))
    layers = range(len(first)) if layer is None else [layer]
    heads = range(first[0].shape[1]) if head is None else [head]
    longest = max(len(labels) for _, labels in panels.values())  # a break may change the example's tokens
    cell = min(0.9 + 0.17 * longest, 8.0 / len(heads))  # at most ~18 inches wide: pick one head to zoom in
    gap_x, gap_y = 0.5, 0.75  # room for each heatmap's token labels (keys rotated below, queries to the left)
    left, bottom, top, between, bar = 0.75, 0.95, 0.75, 0.5, 1.0  # margins, gap between runs, colour bar
    panel_w = len(heads) * cell + (len(heads) - 1) * gap_x
    width = left + len(panels) * panel_w + (len(panels) - 1) * (between + left) + bar
    height = bottom + len(layers) * cell + (len(layers) - 1) * gap_y + top
    fig = plt.figure(figsize=(width, height))
    image = None
    for p, (title, (weights, labels)) in enumerate(panels.items()):
        x0 = left + p * (panel_w + between + left)
        fig.text((x0 + panel_w / 2) / width, 1 - 0.2 / height, title, ha="center", va="top", fontsize=10)
        for r, li in enumerate(layers):
            for c, hi in enumerate(heads):
                y = height - top - (r + 1) * cell - r * gap_y
                ax = fig.add_axes([(x0 + c * (cell + gap_x)) / width, y / height, cell / width, cell / height])
                image = ax.imshow(weights[li][0, hi].numpy(), vmin=0.0, vmax=1.0, cmap="viridis")
                ax.set_xticks(range(len(labels)), labels, fontsize=6, rotation=90)
                ax.set_yticks(range(len(labels)), labels, fontsize=6)
                ax.set_title(f"layer {li} head {hi}", fontsize=7)
                if r == len(layers) - 1:
                    ax.set_xlabel("key (attended to)", fontsize=7)
                if c == 0:
                    ax.set_ylabel("query", fontsize=7)
    bar_h = min(3.0, 0.6 * (height - top - bottom))
    cax = fig.add_axes([(width - bar + 0.2) / width, (bottom + (height - top - bottom - bar_h) / 2) / height,
                        0.15 / width, bar_h / height])
    label = "attention weight (same 0-1 scale everywhere)" if bar_h >= 2.5 else "attention weight"
    fig.colorbar(image, cax=cax, label=label)
    return fig


def save(fig, path) -> None:
    fig.savefig(path, dpi=90)
    plt.close(fig)
