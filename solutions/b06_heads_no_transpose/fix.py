"""The fix for broken-heads-no-transpose: the healthy code of split_heads."""
import torch


def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """(B, T, C) -> (B, n_head, T, head_size): each head sees every position of its channels."""
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)  # (B, nh, T, hs)


FIX = {"split_heads": split_heads}
