"""minimodel: a tiny GPT with named seams (this folder), and the lab around it (catalogue/, harness/, classroom/, ...).

The README's Layout section maps every module; tests/test_layout.py keeps the layers apart.
"""
__version__ = "0.1.0"
