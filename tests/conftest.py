"""Shared test set-up: one deliberate torch thread count, runs written to a temporary folder."""
import os

import pytest
import torch

torch.set_num_threads(int(os.environ.get("MINIMODEL_THREADS", "2")))


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"
