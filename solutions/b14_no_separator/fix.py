"""The fix for broken-no-separator: the healthy code of format_example."""



def format_example(prompt: list[int], answer: list[int], sep_id: int, eos_id: int) -> list[int]:
    """One example as tokens: prompt, separator, answer, stop token."""
    return prompt + [sep_id] + answer + [eos_id]


FIX = {"format_example": format_example}
