"""minimodel: a tiny GPT with named seams, and everything that runs, measures and draws it."""
__version__ = "0.1.0"
