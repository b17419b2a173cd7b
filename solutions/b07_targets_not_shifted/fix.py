"""The fix for broken-targets-not-shifted: the healthy code of next_token_targets."""
import torch


def next_token_targets(chunk: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T+1) tokens -> inputs x (B, T) and targets y (B, T): y[t] is the token after x[t]."""
    return chunk[:, :-1], chunk[:, 1:]


FIX = {"next_token_targets": next_token_targets}
