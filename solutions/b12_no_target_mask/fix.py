"""The fix for broken-no-target-mask: the healthy code of completion_mask."""
import torch


def completion_mask(answer_start: torch.Tensor, block_size: int) -> torch.Tensor:
    """(B, T) bool: which targets of each one-example row are supervised in completion-only training.

    Everything from the answer's first token on; the padding after the stop token is removed later,
    by the special-token mask, as real supervised fine-tuning pipelines label it.
    """
    target_pos = torch.arange(1, block_size + 1)  # (T,) row position of each target
    return target_pos[None, :] >= answer_start[:, None]  # (B, T)


FIX = {"completion_mask": completion_mask}
