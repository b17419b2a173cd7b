"""The fix for broken-no-scale: the healthy code of attention_scale."""
import math


def attention_scale(head_size: int) -> float:
    """Scale scores by 1/sqrt(d_k) so their variance does not grow with the head size."""
    return 1.0 / math.sqrt(head_size)


FIX = {"attention_scale": attention_scale}
