"""The fix for broken-no-positions: the healthy code of add_positions."""
import torch


def add_positions(tok_emb: torch.Tensor, pos_emb: torch.Tensor) -> torch.Tensor:
    """The residual stream starts as token embedding plus position embedding."""
    return tok_emb + pos_emb  # (B, T, C) + (T, C)


FIX = {"add_positions": add_positions}
