"""The fix for broken-pad-is-eos: the healthy code of pad_token_id."""



def pad_token_id(pad_id: int, eos_id: int) -> int:
    """The id rows are padded with: its own token, never one that means something (EOS)."""
    return pad_id


FIX = {"pad_token_id": pad_token_id}
