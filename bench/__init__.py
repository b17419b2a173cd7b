"""Figures, not tests: `just bench` (python -m bench.bench) and `python -m bench.checkup_bench`."""
