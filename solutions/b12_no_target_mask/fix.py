"""The fix for broken-no-target-mask: the healthy code of answer_mask."""
import torch


def answer_mask(stream: torch.Tensor, starts: torch.Tensor, block_size: int, sep_id: int,
                eos_id: int) -> torch.Tensor:
    """(B, T) bool: which targets of each packed block are answer tokens (after '=', up to '\\n').

    Computed once on the whole stream, then cut with the blocks: a block that starts in the
    middle of an answer still knows those tokens are answer tokens.
    """
    pos = torch.arange(len(stream))
    last_sep = torch.where(stream == sep_id, pos, -1).cummax(0).values  # latest '=' at or before
    last_eos = torch.where(stream == eos_id, pos, -1).cummax(0).values  # latest stop at or before
    prev_eos = torch.cat([last_eos.new_tensor([-1]), last_eos[:-1]])  # latest stop strictly before
    in_answer = (last_sep > prev_eos) & (stream != sep_id)  # (N,) after a '=', up to its stop
    targets = starts[:, None] + 1 + torch.arange(block_size)  # (B, T) stream index of each target
    return in_answer[targets]


FIX = {"answer_mask": answer_mask}
