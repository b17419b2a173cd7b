"""The test-suite door: `pytest --checkup FILE.py:FACTORY` adds one test per model check to a learner's own suite."""
import tomllib
from pathlib import Path

import pytest
from test_checkup_cli import FACTORIES

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[1]

PLUGIN = "minimodel.checkup.pytest_plugin"


@pytest.fixture
def door(pytester, monkeypatch):
    """A learner's folder with their model file; pytest runs in a process of its own, as it would for them."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # this checkout's lab
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # only the plugin named with -p: a quick start
    pytester.makepyfile(my_model=FACTORIES)  # healthy(), no_mask(), counted_loss(...)

    def run(target, *args):
        return pytester.runpytest_subprocess("-p", PLUGIN, "-p", "no:cacheprovider", "--checkup", target,
                                             "--checkup-seq-len", "16", *args)
    return run


def test_each_check_is_a_test_skipped_with_its_reason_when_the_model_cannot_take_it(door):
    result = door("my_model.py:healthy", "--checkup-checks", "leak,left_padding,accumulation",
                  "--checkup-loss-fn", "my_model.py:counted_loss", "-rs", "-v")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*checkup::leak PASSED*", "*checkup::left_padding SKIPPED*",
                                 "*checkup::accumulation PASSED*",
                                 "*its forward takes ids only (no attention_mask)*"])


def test_a_fired_check_fails_with_its_findings_and_can_be_selected_with_k(door):
    result = door("my_model.py:no_mask", "-k", "leak or batching")
    result.assert_outcomes(failed=1, passed=1, deselected=8)
    result.stdout.fnmatch_lines(["*FIRED  leak_test*", "*likely cause: attention sees later positions*",
                                 "FAILED checkup::leak*"])


def test_bad_input_is_one_line(door):
    result = door("my_model.py:nope", "--checkup-checks", "leak")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*my_model.py has no function 'nope'*"])
    assert "Traceback" not in result.stdout.str()


def test_the_plugin_is_registered_for_pytest():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["pytest11"] == {PLUGIN: PLUGIN}
