"""The fix for broken-memorise-sentence: the healthy code of mask_special_targets."""
import torch
from minimodel.seams import IGNORE_INDEX


def mask_special_targets(targets: torch.Tensor, special_ids: list[int]) -> torch.Tensor:
    """Targets that are PAD, PAUSE or BOS carry no meaning: give them the ignore index."""
    special = torch.isin(targets, torch.tensor(special_ids, device=targets.device))
    return targets.masked_fill(special, IGNORE_INDEX)


FIX = {"mask_special_targets": mask_special_targets}
