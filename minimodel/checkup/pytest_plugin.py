"""The checkup in your own test suite: `pytest --checkup my_model.py:build` adds one test per model check.

Registered as a pytest plugin (the `pytest11` entry point), so installing the lab is enough; or name it with
`-p minimodel.checkup.pytest_plugin`. Put the option in your pytest configuration (`addopts = "--checkup
my_model.py:build"`) and every run of your suite checks your model. A check that fired fails with its findings; a
check your model cannot take is skipped with the reason. Nothing is imported until `--checkup` is given.
"""
from __future__ import annotations

import pytest

MODEL_KEY = pytest.StashKey[object]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("checkup", "minimodel checkup: the lab's model checks on your model")
    group.addoption("--checkup", metavar="FILE.py:FACTORY", help="add one test per model check on the model (or "
                    "callable from ids to logits) that FACTORY() returns")
    group.addoption("--checkup-checks", metavar="NAMES", help="the checks to add, comma-separated; default: all")
    group.addoption("--checkup-vocab-size", type=int, metavar="V", help="default: from the model's config or "
                    "its first embedding")
    group.addoption("--checkup-seq-len", type=int, default=32, metavar="T", help="tokens per random sequence")
    group.addoption("--checkup-loss-fn", metavar="FILE.py:NAME", help="your loss_fn(logits, labels)")
    group.addoption("--checkup-optimizer", metavar="FILE.py:NAME", help="your optimizer(model)")
    group.addoption("--checkup-trained", action="store_true", help="the model is trained: skip the loss at init")


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect: the checks are selected like any test
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if not config.getoption("checkup"):
        return
    from minimodel.checkup import CheckupError
    from minimodel.checkup.model_checks import check_names

    asked = config.getoption("checkup_checks")
    try:
        names = check_names([n.strip() for n in asked.split(",")] if asked else None)
    except CheckupError as e:
        raise pytest.UsageError(f"--checkup-checks: {e}") from None
    added = [CheckupItem.from_parent(session, name=f"checkup[{n}]", nodeid=f"checkup::{n}", check=n) for n in names]
    config.hook.pytest_collectreport(report=pytest.CollectReport("checkup", "passed", None, added))  # counted
    items += added


class CheckupItem(pytest.Item):
    """One model check as a test: fails when it fired, is skipped when the model cannot take it."""

    def __init__(self, *, check: str, **kwargs):
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        from minimodel import checkup

        report = checkup.model(*_model(self.config), checks=[self.check], **_options(self.config))
        if report.fired:
            raise checkup.CheckupFailed(report.text())
        if all(f.value is None for f in report.findings):
            pytest.skip("; ".join(f"{f.name}: {f.summary}" for f in report.findings))

    def repr_failure(self, excinfo, style=None):
        from minimodel.checkup import CheckupError, CheckupFailed

        if isinstance(excinfo.value, (CheckupFailed, CheckupError)):
            return str(excinfo.value)  # the report, or the one line that says what was wrong with the input
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"checkup: {self.check}"


def _model(config: pytest.Config) -> tuple[object, int]:
    """The model FACTORY() returns and its vocabulary size, built once per session."""
    if MODEL_KEY not in config.stash:
        from minimodel.checkup import CheckupError
        from minimodel.checkup.files import load_factory
        from minimodel.checkup.forward import infer_vocab_size

        model = load_factory(config.getoption("checkup"))
        V = config.getoption("checkup_vocab_size") or infer_vocab_size(model)
        if V is None:
            raise CheckupError(f"cannot tell the vocabulary size of {type(model).__name__}; pass "
                               "--checkup-vocab-size")
        config.stash[MODEL_KEY] = (model, V)
    return config.stash[MODEL_KEY]


def _options(config: pytest.Config) -> dict:
    from minimodel.checkup.files import load_function

    parts = {k: load_function(config.getoption(f"checkup_{k}"), "FILE.py:NAME", f"my_model.py:{k}", f"{k}(...)")
             for k in ("loss_fn", "optimizer") if config.getoption(f"checkup_{k}")}
    return {"seq_len": config.getoption("checkup_seq_len"), "trained": config.getoption("checkup_trained"), **parts}
