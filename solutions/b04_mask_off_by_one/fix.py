"""The fix for broken-mask-off-by-one: the healthy code of causal_mask."""
import torch


def causal_mask(T: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(T, T) bool, True where query i may attend to key j: only j <= i, never the future."""
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


FIX = {"causal_mask": causal_mask}
