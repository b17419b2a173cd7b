"""The fix for broken-short-generation: the healthy code of generation_budget."""



def generation_budget(longest_answer: int) -> int:
    """How many tokens to generate: enough for the longest answer plus its stop token."""
    return longest_answer + 1


FIX = {"generation_budget": generation_budget}
