"""The fix for broken-softmax-wrong-axis: the healthy code of masked_softmax."""
import torch
import torch.nn.functional as F


def masked_softmax(att: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Attention weights: forbidden scores become -inf, then softmax over the keys (last axis)."""
    att = att.masked_fill(~mask, float("-inf"))  # (B, nh, T, T)
    return F.softmax(att, dim=-1)  # each query's row sums to one


FIX = {"masked_softmax": masked_softmax}
