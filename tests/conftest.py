"""Shared test set-up: one deliberate torch thread count and instruction set, runs written to a temporary folder."""
import os

import pytest

from minimodel import settings  # first: importing minimodel applies MINIMODEL_ISA before torch is imported

settings.use_threads()


@pytest.fixture(scope="session", autouse=True)
def control_cache_dir(tmp_path_factory):
    """Healthy controls cached in the folder `just test` shares between its workers and the notebook
    suite, or else for this session only: never the user's own cache folder."""
    if os.environ.get("MINIMODEL_CACHE"):
        yield os.environ["MINIMODEL_CACHE"]
        return
    os.environ["MINIMODEL_CACHE"] = str(tmp_path_factory.mktemp("control-cache"))
    yield os.environ["MINIMODEL_CACHE"]
    os.environ.pop("MINIMODEL_CACHE", None)


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIMODEL_RUNS", str(tmp_path / "runs"))
    return tmp_path / "runs"
