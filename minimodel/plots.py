"""Static figures: loss curves against the entropy floor, and the layers x heads attention grid."""
from __future__ import annotations

import matplotlib.pyplot as plt
import torch


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


def attention_figure(weights: list[torch.Tensor], labels: list[str], title: str = "attention",
                     row: int = 0):
    """Grid of heatmaps, one per layer (rows) and head (columns); queries down, keys across.

    The colour scale is fixed to 0..1 so two runs can be compared square by square.
    """
    n_layer, n_head = len(weights), weights[0].shape[1]
    size = 1.0 + 0.18 * len(labels)
    fig, axes = plt.subplots(n_layer, n_head, figsize=(size * n_head, size * n_layer), squeeze=False)
    shown = [lab.replace("\n", "\\n") for lab in labels]
    image = None
    for layer in range(n_layer):
        for head in range(n_head):
            ax = axes[layer][head]
            image = ax.imshow(weights[layer][row, head].numpy(), vmin=0.0, vmax=1.0, cmap="viridis")
            ax.set_xticks(range(len(shown)), shown, fontsize=7)
            ax.set_yticks(range(len(shown)), shown, fontsize=7)
            ax.set_title(f"layer {layer} head {head}", fontsize=8)
            if layer == n_layer - 1:
                ax.set_xlabel("key (attended to)", fontsize=7)
            if head == 0:
                ax.set_ylabel("query", fontsize=7)
    fig.suptitle(title)
    fig.colorbar(image, ax=axes, shrink=0.6, label="attention weight")
    return fig


def save(fig, path) -> None:
    fig.savefig(path, dpi=90)
    plt.close(fig)
